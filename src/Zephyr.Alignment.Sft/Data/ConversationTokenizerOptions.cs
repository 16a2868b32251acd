namespace Zephyr.Alignment.Sft.Data;

/// <summary>Length limit of <see cref="ConversationTokenizer"/>.</summary>
public sealed class ConversationTokenizerOptions
{
    /// <summary>Maximum tokens per example (<c>max_length</c>). Default: 2048, the Zephyr dSFT recipe.</summary>
    public int MaxLength { get; init; } = 2048;

    /// <summary>Truncate (keep the start) or drop longer examples. Default: <see cref="OverlongExampleHandling.Truncate"/>.</summary>
    public OverlongExampleHandling Overlong { get; init; } = OverlongExampleHandling.Truncate;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it and its value.</exception>
    public void Validate()
    {
        if (MaxLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be at least 2.");
        }

        if (!Enum.IsDefined(Overlong))
        {
            throw new ArgumentOutOfRangeException(nameof(Overlong), Overlong, "Unknown overlong-example handling.");
        }
    }
}
