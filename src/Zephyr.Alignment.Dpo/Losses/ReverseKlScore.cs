using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Reverse KL, the divergence of standard DPO (Rafailov et al. 2023, Eq. 7): the score is the log-ratio itself,
/// s = x. TRL's <c>f_divergence_type="reverse_kl"</c>, the default.
/// </summary>
public sealed class ReverseKlScore : IDivergenceScore
{
    /// <summary>The shared instance; the score has no parameter.</summary>
    public static ReverseKlScore Instance { get; } = new();

    /// <inheritdoc />
    public string Name => DivergenceScores.ReverseKl;

    /// <inheritdoc />
    public Tensor Score(Tensor logRatios)
    {
        ArgumentNullException.ThrowIfNull(logRatios);
        return logRatios;
    }
}
