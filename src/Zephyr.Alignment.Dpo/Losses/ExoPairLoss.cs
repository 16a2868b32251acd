using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Efficient exact optimisation, pairwise (Ji et al. 2024, "Towards Efficient Exact Optimization of Language Model
/// Alignment", arXiv 2402.00856, Eq. 16): with z = β·Δ,
/// ℓ = σ(z)·(log σ(z) − log(1 − ε)) + σ(−z)·(log σ(−z) − log ε). TRL's <c>loss_type="exo_pair"</c>.
/// </summary>
/// <remarks>
/// As in TRL, log(1 − ε) and log ε are float32 values (TRL builds ε with <c>torch.tensor</c>, whose default dtype
/// is float32); with float64 constants the losses would differ by about 1e-8 relative. TRL ≤ 0.28 silently
/// replaced ε = 0 by 1e-3 and used float64 constants: <see cref="Legacy.LegacyExoPairLoss"/>.
/// </remarks>
public sealed class ExoPairLoss : ScoredPreferenceLoss
{
    // Evaluated by torch in float32 on first use, so that constructing the loss needs no native library.
    private readonly Lazy<(double LogOneMinusEpsilon, double LogEpsilon)> constants;

    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="epsilon">ε, TRL's <c>label_smoothing</c>: in (0, 0.5); the paper recommends 1e-3.</param>
    /// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
    /// <exception cref="ArgumentOutOfRangeException">β or ε is out of range (ε = 0 included, as current TRL raises).</exception>
    public ExoPairLoss(double beta, double epsilon = 1e-3, IDivergenceScore? divergence = null)
        : base(beta, divergence)
    {
        if (!(epsilon > 0 && epsilon < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon,
                $"exo_pair needs 0 < label_smoothing (epsilon) < 0.5, got {epsilon}; the EXO paper recommends 1e-3.");
        }

        Epsilon = epsilon;
        constants = new Lazy<(double, double)>(() =>
        {
            using var scope = NewDisposeScope();
            Tensor epsilon32 = tensor((float)epsilon, ScalarType.Float32);
            return (epsilon32.neg().log1p().item<float>(), epsilon32.log().item<float>());
        });
    }

    /// <summary>ε, the assumed label-noise rate (TRL's <c>label_smoothing</c>).</summary>
    public double Epsilon { get; }

    /// <inheritdoc />
    public override string Name => DpoLossNames.ExoPair;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (logOneMinusEpsilon, logEpsilon) = constants.Value;
        Tensor z = Beta * ScoreMargin(inputs);
        Tensor chosenTerm = z.sigmoid() * (LogSigmoid(z) - logOneMinusEpsilon);
        Tensor rejectedTerm = z.neg().sigmoid() * (LogSigmoid(z.neg()) - logEpsilon);
        return chosenTerm + rejectedTerm;
    }
}
