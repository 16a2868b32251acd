namespace Zephyr.Alignment.Sft.Data;

/// <summary>An SFT example as token ids with the mask of the tokens the loss is on.</summary>
/// <param name="InputIds">The token ids.</param>
/// <param name="CompletionMask">
/// Per id, <see langword="true"/> on assistant tokens (each assistant turn with its end-of-turn eos) of a conversation,
/// or on the completion (and its eos) of a plain pair.
/// </param>
/// <param name="Source">Where the example came from (file and row or line), if known.</param>
public sealed record TokenizedConversation(int[] InputIds, bool[] CompletionMask, string? Source = null);
