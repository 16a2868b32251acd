using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Jensen–Shannon divergence for f-DPO (Wang et al. 2023, arXiv 2310.16240, Table 1): s = log σ(x).
/// TRL's <c>f_divergence_type="js_divergence"</c>.
/// </summary>
public sealed class JsDivergenceScore : IDivergenceScore
{
    /// <summary>The shared instance; the score has no parameter.</summary>
    public static JsDivergenceScore Instance { get; } = new();

    /// <inheritdoc />
    public string Name => DivergenceScores.JsDivergence;

    /// <inheritdoc />
    public Tensor Score(Tensor logRatios)
    {
        ArgumentNullException.ThrowIfNull(logRatios);
        return nn.functional.logsigmoid(logRatios);
    }
}
