using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Alignment via optimal transport, paired (Melnyk et al. 2024, "Distributional Preference Alignment of LLMs via
/// Optimal Transport", arXiv 2406.05882): the batch's policy margins π_c − π_r and reference margins r_c − r_r are
/// each sorted, and q = sort↑(π_c − π_r) − sort↑(r_c − r_r) is pushed up quantile by quantile:
/// ℓ = −(1 − ε)·log σ(β·q) − ε·log σ(−β·q). TRL's <c>loss_type="aot"</c>.
/// </summary>
/// <remarks>
/// The losses are in sorted-quantile order, not pair order, so only their mean is meaningful per batch. The loss
/// uses raw log-probs, never f-divergence scores.
/// </remarks>
public sealed class AotLoss : PreferenceLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε (TRL's <c>label_smoothing</c>): in [0, 0.5), default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">β or ε is out of range.</exception>
    public AotLoss(double beta, double labelSmoothing = 0.0)
        : base(beta)
    {
        LabelSmoothing = HyperParameters.LabelSmoothing(labelSmoothing, nameof(labelSmoothing));
    }

    /// <summary>ε, the label smoothing of the quantile-wise logistic loss.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc />
    public override string Name => DpoLossNames.Aot;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        Tensor policyMargins = inputs.PolicyChosenLogps - inputs.PolicyRejectedLogps;
        Tensor referenceMargins = inputs.ReferenceChosenLogps - inputs.ReferenceRejectedLogps;
        Tensor quantileGaps = policyMargins.sort(0).Values - referenceMargins.sort(0).Values;
        return SmoothedLogistic(Beta * quantileGaps, LabelSmoothing);
    }

    /// <summary>−(1 − ε)·log σ(z) − ε·log σ(−z), shared with <see cref="AotUnpairedLoss"/>.</summary>
    internal static Tensor SmoothedLogistic(Tensor z, double labelSmoothing) =>
        LogSigmoid(z).neg() * (1.0 - labelSmoothing) - LogSigmoid(z.neg()) * labelSmoothing;
}
