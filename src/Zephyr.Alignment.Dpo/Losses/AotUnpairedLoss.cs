using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Alignment via optimal transport, unpaired (Melnyk et al. 2024, "Distributional Preference Alignment of LLMs via
/// Optimal Transport", arXiv 2406.05882): the chosen log-ratios and the rejected log-ratios are sorted on their own,
/// q = sort↑(x_c) − sort↑(x_r), and ℓ = −(1 − ε)·log σ(β·q) − ε·log σ(−β·q). TRL's
/// <c>loss_type="aot_unpaired"</c>.
/// </summary>
/// <remarks>The losses are in sorted-quantile order, not pair order. The loss uses raw log-ratios, never f-divergence scores.</remarks>
public sealed class AotUnpairedLoss : PreferenceLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε (TRL's <c>label_smoothing</c>): in [0, 0.5), default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">β or ε is out of range.</exception>
    public AotUnpairedLoss(double beta, double labelSmoothing = 0.0)
        : base(beta)
    {
        LabelSmoothing = HyperParameters.LabelSmoothing(labelSmoothing, nameof(labelSmoothing));
    }

    /// <summary>ε, the label smoothing of the quantile-wise logistic loss.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc />
    public override string Name => DpoLossNames.AotUnpaired;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = LogRatios(inputs);
        Tensor quantileGaps = chosen.sort(0).Values - rejected.sort(0).Values;
        return AotLoss.SmoothedLogistic(Beta * quantileGaps, LabelSmoothing);
    }
}
