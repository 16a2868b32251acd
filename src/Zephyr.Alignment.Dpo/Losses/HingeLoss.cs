using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// The hinge loss of SLiC (Zhao et al. 2023, "SLiC-HF: Sequence Likelihood Calibration with Human Feedback",
/// arXiv 2305.10425, the rank-calibration loss with margin 1/β) on DPO's implicit rewards:
/// ℓ = max(0, 1 − β·Δ). TRL's <c>loss_type="hinge"</c>.
/// </summary>
/// <param name="beta">β, the inverse of the margin; finite and &gt; 0.</param>
/// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
public sealed class HingeLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.Hinge;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs) => (1.0 - Beta * ScoreMargin(inputs)).relu();
}
