using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Anchored preference optimisation, zero variant (D'Oosterlinck et al. 2024, "Anchored Preference Optimization and
/// Contrastive Revisions", arXiv 2408.06266, Eq. 7): raise the chosen likelihood and lower the rejected one,
/// ℓ = (1 − σ(β·x_c)) + σ(β·x_r). For chosen answers better than the model's own. TRL's <c>loss_type="apo_zero"</c>.
/// </summary>
/// <remarks>Uses the raw log-ratios, never f-divergence scores, as TRL does.</remarks>
/// <param name="beta">β; finite and &gt; 0.</param>
public sealed class ApoZeroLoss(double beta) : PreferenceLoss(beta)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.ApoZero;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = LogRatios(inputs);
        return (1.0 - (Beta * chosen).sigmoid()) + (Beta * rejected).sigmoid();
    }
}
