namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>The f-divergence scores by TRL name (<c>f_divergence_type</c>), for options that name them as TRL users do.</summary>
public static class DivergenceScores
{
    /// <summary><c>reverse_kl</c>: <see cref="ReverseKlScore"/>, standard DPO, the default.</summary>
    public const string ReverseKl = "reverse_kl";

    /// <summary><c>forward_kl</c>: <see cref="ForwardKlScore"/>.</summary>
    public const string ForwardKl = "forward_kl";

    /// <summary><c>js_divergence</c>: <see cref="JsDivergenceScore"/>.</summary>
    public const string JsDivergence = "js_divergence";

    /// <summary><c>alpha_divergence</c>: <see cref="AlphaDivergenceScore"/>.</summary>
    public const string AlphaDivergence = "alpha_divergence";

    /// <summary>Every known name, in TRL's order.</summary>
    public static IReadOnlyList<string> Names { get; } = [ReverseKl, ForwardKl, JsDivergence, AlphaDivergence];

    /// <summary>Creates a score from its TRL name.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="alphaCoefficient">TRL's <c>f_alpha_divergence_coef</c> (default 0.5); read only by <c>alpha_divergence</c>.</param>
    /// <returns>The score strategy.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is not a known divergence.</exception>
    public static IDivergenceScore Create(string name, double alphaCoefficient = 0.5)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name switch
        {
            ReverseKl => ReverseKlScore.Instance,
            ForwardKl => ForwardKlScore.Instance,
            JsDivergence => JsDivergenceScore.Instance,
            AlphaDivergence => new AlphaDivergenceScore(alphaCoefficient),
            _ => throw new ArgumentException(
                $"Unknown f-divergence '{name}'. Known: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
