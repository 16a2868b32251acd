namespace Zephyr.Alignment.Sft.Packing;

/// <summary>
/// Packs examples into rows of at most <c>max_length</c> tokens with best-fit decreasing (TRL's <c>bfd</c> strategy):
/// longest example first, each into the row whose free space is the smallest that still fits it, or a new row.
/// Examples are never split, so every row holds whole examples and the boundaries stay intact.
/// </summary>
/// <example>
/// Lengths <c>[5, 3, 8, 2, 6]</c> with max length 10:
/// <code>
/// SequencePacker.Pack([5, 3, 8, 2, 6], 10)  // → [[2, 3], [4, 1], [0]]: rows of 8+2, 6+3 and 5 tokens (indices into the input)
/// </code>
/// </example>
public static class SequencePacker
{
    /// <summary>Packs examples of the given lengths.</summary>
    /// <param name="lengths">Token count of each example; each must be in <c>[1, maxLength]</c>.</param>
    /// <param name="maxLength">The row length.</param>
    /// <returns>The rows in the order they were opened, each the indices of its examples in the order placed.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A length is not in <c>[1, maxLength]</c>, or <paramref name="maxLength"/> is below 1.</exception>
    public static IReadOnlyList<int[]> Pack(IReadOnlyList<int> lengths, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        for (int i = 0; i < lengths.Count; i++)
        {
            if (lengths[i] < 1 || lengths[i] > maxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[i], $"Example {i} has {lengths[i]} tokens; packing needs 1..{maxLength}.");
            }
        }

        // Longest first; ties by index so the result does not depend on the sort's stability.
        int[] order = [.. Enumerable.Range(0, lengths.Count).OrderByDescending(i => lengths[i]).ThenBy(i => i)];
        var rows = new List<List<int>>();

        // Free space of each open row, ordered by (free, row): the first entry with free >= length is the best fit.
        var free = new SortedSet<(int Free, int Row)>();
        foreach (int example in order)
        {
            int length = lengths[example];
            SortedSet<(int Free, int Row)> fits = free.GetViewBetween((length, int.MinValue), (int.MaxValue, int.MaxValue));
            if (fits.Count > 0)
            {
                (int space, int row) = fits.Min;
                free.Remove((space, row));
                rows[row].Add(example);
                if (space > length)
                {
                    free.Add((space - length, row));
                }
            }
            else
            {
                rows.Add([example]);
                if (maxLength > length)
                {
                    free.Add((maxLength - length, rows.Count - 1));
                }
            }
        }

        return [.. rows.Select(r => r.ToArray())];
    }
}
