using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Identity preference optimisation (Azar et al. 2023, "A General Theoretical Paradigm to Understand Learning from
/// Human Preferences", arXiv 2310.12036, Eq. 17, β being the regularisation τ): ℓ = (s_c/L_c − s_r/L_r − 1/(2β))²,
/// on length-normalised scores with L = max(completion length, 1). TRL's <c>loss_type="ipo"</c>.
/// </summary>
/// <remarks>
/// Needs <see cref="PreferenceLossInputs.ChosenLengths"/> and <see cref="PreferenceLossInputs.RejectedLengths"/>.
/// The rewards stay the summed β·(log π − log π_ref), as in TRL. TRL ≤ 0.28 normalised the log-probs before the
/// loss instead (and reported per-token rewards): <see cref="Legacy.LegacyIpoLoss"/>.
/// </remarks>
/// <param name="beta">β (IPO's τ); finite and &gt; 0.</param>
/// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
public sealed class IpoLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.Ipo;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        Tensor normalisedMargin = LengthNormalisedScoreMargin(inputs);
        return (normalisedMargin - 1.0 / (2.0 * Beta)).square();
    }
}
