namespace Zephyr.Alignment.Models.Generation;

/// <summary>The outcome of generating from one prompt.</summary>
/// <param name="TokenIds">
/// The new token ids only (never the prompt). When the sequence stopped on end-of-sequence, the eos id is the last one;
/// when it stopped on a stop string, the tokens that completed it are included and the caller trims the text.
/// </param>
/// <param name="StopReason">Why generation stopped.</param>
public sealed record GenerationResult(IReadOnlyList<int> TokenIds, GenerationStopReason StopReason);
