using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses.Legacy;

/// <summary>
/// <b>Legacy (TRL ≤ 0.28, the Zephyr-era releases).</b> Conservative DPO (Mitchell 2023, "A note on DPO with noisy
/// preferences &amp; relationship to IPO"): the DPO loss (Rafailov et al. 2023, arXiv 2305.18290, Eq. 7) with label
/// smoothing ε, ℓ = −(1 − ε)·log σ(β·Δ) − ε·log σ(−β·Δ). TRL's <c>loss_type="sigmoid"</c> with
/// <c>label_smoothing</c> before v0.29; current TRL ignores ε on sigmoid (<see cref="SigmoidLoss"/>).
/// </summary>
public sealed class LegacySigmoidLoss : PreferenceLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε, the assumed rate of flipped labels: in [0, 0.5); 0 is plain DPO.</param>
    /// <exception cref="ArgumentOutOfRangeException">β or ε is out of range.</exception>
    public LegacySigmoidLoss(double beta, double labelSmoothing = 0.0)
        : base(beta)
    {
        LabelSmoothing = HyperParameters.LabelSmoothing(labelSmoothing, nameof(labelSmoothing));
    }

    /// <summary>ε, the label smoothing of conservative DPO.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc />
    public override string Name => DpoLossNames.Sigmoid;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs) =>
        AotLoss.SmoothedLogistic(Beta * LegacyMargins.Margin(inputs), LabelSmoothing);
}
