using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// DiscoPOP, the log-ratio modulated loss (Chris Lu et al. 2024, "Discovering Preference Optimization Algorithms with
/// and for Large Language Models", arXiv 2406.08414, Eq. 5): with z = β·Δ and m = σ(z/τ),
/// ℓ = (1 − m)·(−log σ(z)) + m·exp(−z), a blend of the logistic and the exponential loss.
/// TRL's <c>loss_type="discopop"</c>.
/// </summary>
/// <remarks>
/// exp(−z) overflows for z below about −709 in float64 (−88 in float32); with m ≈ 0 there the product is NaN, as in
/// TRL. Keep β·|Δ| in range or prefer another loss on such batches.
/// </remarks>
public sealed class DiscoPopLoss : ScoredPreferenceLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="tau">τ, the modulation temperature (TRL's <c>discopop_tau</c>): finite and &gt; 0, default 0.05.</param>
    /// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
    /// <exception cref="ArgumentOutOfRangeException">β or τ is out of range.</exception>
    public DiscoPopLoss(double beta, double tau = 0.05, IDivergenceScore? divergence = null)
        : base(beta, divergence)
    {
        Tau = HyperParameters.Positive(tau, nameof(tau), "discopop_tau");
    }

    /// <summary>τ, the temperature of the modulation σ(z/τ) (TRL's <c>discopop_tau</c>, default 0.05).</summary>
    public double Tau { get; }

    /// <inheritdoc />
    public override string Name => DpoLossNames.DiscoPop;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        Tensor z = ScoreMargin(inputs) * Beta;
        Tensor modulation = (z / Tau).sigmoid();
        Tensor logistic = LogSigmoid(z).neg();
        Tensor exponential = z.neg().exp();
        return logistic * (1.0 - modulation) + exponential * modulation;
    }
}
