namespace Zephyr.Alignment.Models.Generation;

/// <summary>Why a sequence stopped growing.</summary>
public enum GenerationStopReason
{
    /// <summary><see cref="GenerationOptions.MaxNewTokens"/> tokens were generated.</summary>
    MaxNewTokens,

    /// <summary>An end-of-sequence id was generated; it is the last id of the result.</summary>
    EndOfSequence,

    /// <summary>The decoded new tokens contain one of <see cref="GenerationOptions.StopStrings"/>; the tokens that completed it are included.</summary>
    StopString,

    /// <summary>The cancellation token was signalled; the result holds the tokens generated until then.</summary>
    Cancelled,
}
