namespace Zephyr.Alignment.Chat;

/// <summary>A span of characters in rendered chat text.</summary>
/// <param name="Start">Index of the first character.</param>
/// <param name="Length">Number of characters.</param>
/// <param name="MessageIndex">Index of the message the span renders.</param>
public readonly record struct ChatSpan(int Start, int Length, int MessageIndex)
{
    /// <summary>Index one past the last character.</summary>
    public int End => Start + Length;

    /// <summary>True when <paramref name="index"/> lies in the span.</summary>
    public bool Contains(int index) => index >= Start && index < End;
}
