using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Forward KL for f-DPO (Wang et al. 2023, arXiv 2310.16240, Table 1, f(u) = −log u): s = −exp(−x).
/// TRL's <c>f_divergence_type="forward_kl"</c>.
/// </summary>
public sealed class ForwardKlScore : IDivergenceScore
{
    /// <summary>The shared instance; the score has no parameter.</summary>
    public static ForwardKlScore Instance { get; } = new();

    /// <inheritdoc />
    public string Name => DivergenceScores.ForwardKl;

    /// <inheritdoc />
    public Tensor Score(Tensor logRatios)
    {
        ArgumentNullException.ThrowIfNull(logRatios);
        return logRatios.neg().exp().neg();
    }
}
