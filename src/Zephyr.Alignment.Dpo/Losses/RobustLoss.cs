using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Robust DPO (Chowdhury et al. 2024, "Provably Robust DPO: Aligning Language Models with Noisy Feedback",
/// arXiv 2403.00409), an unbiased estimate of the DPO loss under preference flips with rate ε:
/// ℓ = [−(1 − ε)·log σ(β·Δ) + ε·log σ(−β·Δ)] / (1 − 2ε). TRL's <c>loss_type="robust"</c>.
/// </summary>
public sealed class RobustLoss : ScoredPreferenceLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε, the assumed flip rate (TRL's <c>label_smoothing</c>): in [0, 0.5).</param>
    /// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
    /// <exception cref="ArgumentOutOfRangeException">β or ε is out of range (ε = 0.5 divides by zero).</exception>
    public RobustLoss(double beta, double labelSmoothing, IDivergenceScore? divergence = null)
        : base(beta, divergence)
    {
        LabelSmoothing = HyperParameters.LabelSmoothing(labelSmoothing, nameof(labelSmoothing));
    }

    /// <summary>ε, the assumed rate of flipped preference labels (TRL's <c>label_smoothing</c>).</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc />
    public override string Name => DpoLossNames.Robust;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        Tensor z = Beta * ScoreMargin(inputs);
        Tensor clean = -(1.0 - LabelSmoothing) * LogSigmoid(z);
        Tensor flipped = -LabelSmoothing * LogSigmoid(z.neg());
        return (clean - flipped) / (1.0 - 2.0 * LabelSmoothing);
    }
}
