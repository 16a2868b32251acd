namespace Zephyr.Alignment.Data;

/// <summary>What a tokenizer for training did with the examples it saw: kept (some of them truncated) or dropped.</summary>
/// <remarks>Not thread-safe, like the tokenizers that fill it.</remarks>
public sealed class TokenizationReport
{
    /// <summary>Creates an empty report.</summary>
    /// <param name="what">What is tokenized, for the drop report, e.g. <c>preference pairs</c>.</param>
    public TokenizationReport(string what)
    {
        ArgumentNullException.ThrowIfNull(what);
        Dropped = new SkipReport($"{what} dropped (cannot fit the length limits)");
    }

    /// <summary>Examples returned.</summary>
    public int Kept { get; private set; }

    /// <summary>Of <see cref="Kept"/>, the examples that lost tokens to truncation.</summary>
    public int Truncated { get; private set; }

    /// <summary>Examples left out, with the first reasons.</summary>
    public SkipReport Dropped { get; }

    /// <summary>Counts a returned example.</summary>
    /// <param name="truncated">Whether it was truncated.</param>
    public void AddKept(bool truncated)
    {
        Kept++;
        if (truncated)
        {
            Truncated++;
        }
    }

    /// <summary>A one-line summary.</summary>
    public override string ToString() => $"{Kept} kept ({Truncated} truncated); {Dropped}";
}
