namespace Zephyr.Alignment.Sft.Packing;

/// <summary>
/// How much of a dataset's batches would be padding with and without packing, measured over one shuffled pass in
/// micro-batches of the configured size (each batch padded to its longest row, as the collator does).
/// </summary>
/// <param name="Examples">Tokenized examples.</param>
/// <param name="PackedRows">Rows after packing (equal to <paramref name="Examples"/> when the data was not packed).</param>
/// <param name="Tokens">Real tokens in all examples.</param>
/// <param name="UnpackedPaddingFraction">Padding positions / all positions when every example is its own row.</param>
/// <param name="PackedPaddingFraction">Padding positions / all positions with packed rows.</param>
public sealed record PaddingReport(int Examples, int PackedRows, long Tokens, double UnpackedPaddingFraction, double PackedPaddingFraction)
{
    /// <summary>The fraction of all positions that packing saves from padding: unpacked minus packed fraction.</summary>
    public double PaddingFractionSaved => UnpackedPaddingFraction - PackedPaddingFraction;

    /// <summary>Measures the padding of <paramref name="rowLengths"/> batched as the loop would.</summary>
    /// <param name="exampleLengths">Token count of each example.</param>
    /// <param name="rowLengths">Token count of each packed row (or <paramref name="exampleLengths"/> when not packing).</param>
    /// <param name="batchSize">Rows per micro-batch.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    public static PaddingReport Measure(IReadOnlyList<int> exampleLengths, IReadOnlyList<int> rowLengths, int batchSize, long seed)
    {
        ArgumentNullException.ThrowIfNull(exampleLengths);
        ArgumentNullException.ThrowIfNull(rowLengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        long tokens = exampleLengths.Sum(l => (long)l);
        return new PaddingReport(
            exampleLengths.Count,
            rowLengths.Count,
            tokens,
            PaddingFraction(exampleLengths, batchSize, seed),
            PaddingFraction(rowLengths, batchSize, seed));
    }

    /// <summary>Padding positions / all positions when <paramref name="lengths"/> are shuffled, batched and padded to each batch's longest.</summary>
    /// <param name="lengths">Row lengths.</param>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="seed">Seed of the shuffle.</param>
    public static double PaddingFraction(IReadOnlyList<int> lengths, int batchSize, long seed)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (lengths.Count == 0)
        {
            return 0;
        }

        int[] shuffled = [.. lengths];
        new Random(unchecked((int)seed)).Shuffle(shuffled);
        long positions = 0;
        long real = 0;
        for (int start = 0; start < shuffled.Length; start += batchSize)
        {
            ReadOnlySpan<int> batch = shuffled.AsSpan(start, Math.Min(batchSize, shuffled.Length - start));
            int longest = 0;
            foreach (int length in batch)
            {
                longest = Math.Max(longest, length);
                real += length;
            }

            positions += (long)longest * batch.Length;
        }

        return positions == 0 ? 0 : 1.0 - ((double)real / positions);
    }
}
