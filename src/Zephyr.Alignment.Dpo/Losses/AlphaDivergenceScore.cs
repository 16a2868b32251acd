using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// α-divergence for f-DPO (Wang et al. 2023, arXiv 2310.16240, Table 1): s = exp(min((α − 1)·x, c)) / (α − 1),
/// with c = 80 (11 in float16) as TRL clamps it; when |α − 1| &lt; 1e-6 the score falls back to the log-ratio
/// (reverse KL). TRL's <c>f_divergence_type="alpha_divergence"</c> with <c>f_alpha_divergence_coef</c>.
/// </summary>
/// <remarks>
/// float64 and float32 inputs take the exponential in their own dtype. TRL always takes it in float32 (and has no
/// float64 clamp entry), so on float64 inputs this class is the more precise of the two: they differ by about
/// 1e-8 relative on realistic batches.
/// </remarks>
public sealed class AlphaDivergenceScore : IDivergenceScore
{
    /// <summary>Creates the score.</summary>
    /// <param name="alpha">α, TRL's <c>f_alpha_divergence_coef</c>; any finite value, default 0.5.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not finite.</exception>
    public AlphaDivergenceScore(double alpha = 0.5)
    {
        if (!double.IsFinite(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"The alpha-divergence coefficient must be finite, got {alpha}.");
        }

        Alpha = alpha;
    }

    /// <summary>α, TRL's <c>f_alpha_divergence_coef</c> (default 0.5).</summary>
    public double Alpha { get; }

    /// <inheritdoc />
    public string Name => DivergenceScores.AlphaDivergence;

    /// <inheritdoc />
    public Tensor Score(Tensor logRatios)
    {
        ArgumentNullException.ThrowIfNull(logRatios);
        if (Math.Abs(Alpha - 1.0) < 1e-6)
        {
            return logRatios;
        }

        double coefficient = 1.0 / (Alpha - 1.0);
        ScalarType dtype = logRatios.dtype;
        // exp overflows float16 above 11 and float32/bfloat16 above 88, hence TRL's clamps; half types are widened to
        // float32 for the exponential, as TRL does, and narrowed back.
        double clampMax = dtype == ScalarType.Float16 ? 11.0 : 80.0;
        bool widen = dtype is ScalarType.Float16 or ScalarType.BFloat16;
        using var scope = NewDisposeScope();
        Tensor exponent = (Alpha - 1.0) * logRatios;
        if (widen)
        {
            exponent = exponent.to_type(ScalarType.Float32);
        }

        Tensor scores = exponent.clamp_max(clampMax).exp();
        if (widen)
        {
            scores = scores.to_type(dtype);
        }

        return (scores * coefficient).MoveToOuterDisposeScope();
    }
}
