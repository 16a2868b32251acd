namespace Zephyr.Alignment.Sft.Data;

/// <summary>What <see cref="ConversationTokenizer"/> does with an example longer than its maximum length.</summary>
public enum OverlongExampleHandling
{
    /// <summary>Keep the first <c>MaxLength</c> tokens, as TRL's SFT does. The default. Counted as truncated.</summary>
    Truncate,

    /// <summary>Leave the example out. Counted as dropped, with the reason.</summary>
    Drop,
}
