using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// The DPO loss (Rafailov et al. 2023, "Direct Preference Optimization", arXiv 2305.18290, Eq. 7), the loss of the
/// Zephyr recipe: ℓ = −log σ(β·Δ) with Δ = s_c − s_r, the margin of the (f-divergence) scores. TRL's
/// <c>loss_type="sigmoid"</c>, the default.
/// </summary>
/// <remarks>
/// Current TRL ignores <c>label_smoothing</c> here; the conservative-DPO variant of TRL ≤ 0.28 is
/// <see cref="Legacy.LegacySigmoidLoss"/>.
/// </remarks>
/// <param name="beta">β; finite and &gt; 0 (TRL default 0.1, the Zephyr-7B-β recipe 0.01).</param>
/// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL (standard DPO).</param>
public sealed class SigmoidLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.Sigmoid;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs) => LogSigmoid(Beta * ScoreMargin(inputs)).neg();
}
