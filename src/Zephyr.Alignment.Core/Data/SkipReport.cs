namespace Zephyr.Alignment.Data;

/// <summary>
/// Counts examples that were left out (invalid rows in <see cref="InvalidRowHandling.Skip"/> mode, examples too
/// long to tokenize) and keeps the first reasons, so that nothing is dropped silently.
/// </summary>
/// <remarks>Not thread-safe: one report belongs to one enumeration.</remarks>
public sealed class SkipReport
{
    private readonly List<string> _reasons = [];

    /// <summary>Creates an empty report.</summary>
    /// <param name="what">What is counted, for <see cref="ToString"/>, e.g. <c>invalid rows of data/prefs.jsonl</c>.</param>
    /// <param name="maxReasons">How many reasons to keep. Default: 5.</param>
    public SkipReport(string what, int maxReasons = 5)
    {
        ArgumentNullException.ThrowIfNull(what);
        ArgumentOutOfRangeException.ThrowIfNegative(maxReasons);
        What = what;
        MaxReasons = maxReasons;
    }

    /// <summary>What is counted.</summary>
    public string What { get; }

    /// <summary>How many reasons are kept.</summary>
    public int MaxReasons { get; }

    /// <summary>How many examples were left out.</summary>
    public int Count { get; private set; }

    /// <summary>The reasons of the first <see cref="MaxReasons"/> examples left out, in order.</summary>
    public IReadOnlyList<string> FirstReasons => _reasons;

    /// <summary>Counts one example left out.</summary>
    /// <param name="reason">Why, naming the file and row or line where there is one.</param>
    public void Add(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Count++;
        if (_reasons.Count < MaxReasons)
        {
            _reasons.Add(reason);
        }
    }

    /// <summary>A one-paragraph summary: the count and the kept reasons.</summary>
    public override string ToString() =>
        Count == 0
            ? $"0 {What}."
            : $"{Count} {What}; first {_reasons.Count}: " + string.Join(" | ", _reasons);
}
