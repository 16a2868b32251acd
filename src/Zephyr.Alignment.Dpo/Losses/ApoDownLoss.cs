using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Anchored preference optimisation, down variant (D'Oosterlinck et al. 2024, "Anchored Preference Optimization and
/// Contrastive Revisions", arXiv 2408.06266, Eq. 8): lower the chosen likelihood and the rejected one more,
/// ℓ = σ(β·x_c) + (1 − σ(β·Δ)). For chosen answers worse than the model's own. TRL's <c>loss_type="apo_down"</c>.
/// </summary>
/// <remarks>As in TRL, the first term uses the raw chosen log-ratio and only the margin Δ uses the f-divergence scores.</remarks>
/// <param name="beta">β; finite and &gt; 0.</param>
/// <param name="divergence">The f-divergence score of Δ; <see langword="null"/> for reverse KL.</param>
public sealed class ApoDownLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.ApoDown;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (chosen, _) = LogRatios(inputs);
        return (Beta * chosen).sigmoid() + (1.0 - (Beta * ScoreMargin(inputs)).sigmoid());
    }
}
