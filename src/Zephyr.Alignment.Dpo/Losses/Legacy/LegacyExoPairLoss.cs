using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses.Legacy;

/// <summary>
/// <b>Legacy (TRL ≤ 0.28).</b> EXO, pairwise (Ji et al. 2024, arXiv 2402.00856, Eq. 16), as those releases computed it:
/// ε = 0 silently becomes 1e-3 and log(1 − ε), log ε are float64 constants. With z = β·Δ,
/// ℓ = σ(z)·(log σ(z) − log(1 − ε)) + σ(−z)·(log σ(−z) − log ε). The current form is <see cref="ExoPairLoss"/>.
/// </summary>
public sealed class LegacyExoPairLoss : PreferenceLoss
{
    /// <summary>The ε TRL ≤ 0.28 substituted for a label smoothing of 0, the EXO paper's recommendation.</summary>
    public const double DefaultEpsilon = 1e-3;

    private readonly double logOneMinusEpsilon;
    private readonly double logEpsilon;

    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε in [0, 0.5); 0 means <see cref="DefaultEpsilon"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">β or ε is out of range.</exception>
    public LegacyExoPairLoss(double beta, double labelSmoothing = 0.0)
        : base(beta)
    {
        double epsilon = HyperParameters.LabelSmoothing(labelSmoothing, nameof(labelSmoothing));
        Epsilon = epsilon == 0 ? DefaultEpsilon : epsilon;
        logOneMinusEpsilon = Math.Log(1 - Epsilon);
        logEpsilon = Math.Log(Epsilon);
    }

    /// <summary>The ε in use (after the 0 → 1e-3 substitution).</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public override string Name => DpoLossNames.ExoPair;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        Tensor z = Beta * LegacyMargins.Margin(inputs);
        return z.sigmoid() * (LogSigmoid(z) - logOneMinusEpsilon) + z.neg().sigmoid() * (LogSigmoid(z.neg()) - logEpsilon);
    }
}
