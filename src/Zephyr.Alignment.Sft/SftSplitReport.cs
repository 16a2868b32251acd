using Zephyr.Alignment.Data;
using Zephyr.Alignment.Sft.Packing;

namespace Zephyr.Alignment.Sft;

/// <summary>What became of one data file (training or evaluation) on its way to batches.</summary>
/// <param name="File">The file.</param>
/// <param name="InvalidRows">Rows skipped as invalid (with <see cref="Zephyr.Alignment.Data.InvalidRowHandling.Skip"/>), with the first reasons.</param>
/// <param name="Tokenization">Examples kept, truncated and dropped by the length limit.</param>
/// <param name="Padding">Padding with and without packing, and the fraction packing saves.</param>
/// <param name="Packed">Whether the rows are packed.</param>
public sealed record SftSplitReport(string File, SkipReport InvalidRows, TokenizationReport Tokenization, PaddingReport Padding, bool Packed);
