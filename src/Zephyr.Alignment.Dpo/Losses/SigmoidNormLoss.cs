using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Length-normalised DPO: the sigmoid loss on per-token scores, ℓ = −log σ(β·(s_c/L_c − s_r/L_r)) with
/// L = max(completion length, 1), the length normalisation of SimPO (Meng et al. 2024, "SimPO: Simple Preference
/// Optimization with a Reference-Free Reward", arXiv 2405.14734) kept with a reference model.
/// TRL's <c>loss_type="sigmoid_norm"</c>.
/// </summary>
/// <remarks>Needs the completion lengths; the rewards stay the summed β·(log π − log π_ref), as in TRL.</remarks>
/// <param name="beta">β; finite and &gt; 0.</param>
/// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
public sealed class SigmoidNormLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.SigmoidNorm;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        Tensor normalisedMargin = LengthNormalisedScoreMargin(inputs);
        return LogSigmoid(Beta * normalisedMargin).neg();
    }
}
