namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>How the scored candidates of a prompt become preference pairs.</summary>
public enum BinarizationStrategy
{
    /// <summary>
    /// The paper's rule (the default): <c>chosen</c> is the highest score, <c>rejected</c> a uniformly random pick
    /// among the candidates scored strictly lower, drawn from a generator seeded by the run's seed and the prompt id.
    /// One pair per prompt. Keeps the rejected answers diverse rather than always the worst.
    /// </summary>
    RandomRejected,

    /// <summary>distilabel's rule: <c>chosen</c> is the highest score, <c>rejected</c> the lowest. One pair per prompt.</summary>
    WorstRejected,

    /// <summary>
    /// Every ordered pair (a, b) whose score difference <c>score(a) − score(b)</c> is greater than
    /// <see cref="BinarizationOptions.Margin"/>, a the chosen. Up to N(N−1)/2 pairs per prompt.
    /// </summary>
    AllPairsAboveMargin,
}
