using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Sft.Masking;
using Zephyr.Alignment.Sft.Packing;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Sft;

/// <summary>
/// Tokenized SFT examples as training rows: one example per row, or several packed into rows of at most
/// <c>max_length</c> tokens (<see cref="SequencePacker"/>). <see cref="Collate"/> pads each batch to its longest row,
/// never to <c>max_length</c>.
/// </summary>
/// <example>
/// Two examples, ids <c>[1, 5, 6]</c> (mask F F T) and <c>[1, 7]</c> (mask F T), packed into one row:
/// <code>
/// input_ids    = [[1, 5, 6, 1, 7]]
/// labels       = [[-100, -100, 6, -100, 7]]
/// position_ids = [[0, 1, 2, 0, 1]]
/// sequence_ids = [[0, 0, 0, 1, 1]]          // → a block-diagonal [1, 5, 5] attention mask
/// </code>
/// Unpacked in one batch they are two rows, the second padded with the pad id and attention mask 0:
/// <code>
/// input_ids      = [[1, 5, 6], [1, 7, 0]]
/// labels         = [[-100, -100, 6], [-100, 7, -100]]
/// attention_mask = [[1, 1, 1], [1, 1, 0]]
/// </code>
/// </example>
public sealed class SftDataset : ITrainingDataset<SftBatch>
{
    private readonly IReadOnlyList<TokenizedConversation> examples;
    private readonly IReadOnlyList<int[]> rows;
    private readonly long padId;

    private SftDataset(IReadOnlyList<TokenizedConversation> examples, IReadOnlyList<int[]> rows, bool packed, int padId)
    {
        this.examples = examples;
        this.rows = rows;
        this.padId = padId;
        IsPacked = packed;
    }

    /// <inheritdoc />
    public int Count => rows.Count;

    /// <summary>Whether rows hold several examples.</summary>
    public bool IsPacked { get; }

    /// <summary>The examples, with their loss masks.</summary>
    public IReadOnlyList<TokenizedConversation> Examples => examples;

    /// <summary>Per row, the indices of its examples in <see cref="Examples"/>.</summary>
    public IReadOnlyList<int[]> Rows => rows;

    /// <summary>Token count of each row.</summary>
    public IEnumerable<int> RowLengths => rows.Select(r => r.Sum(i => examples[i].InputIds.Length));

    /// <summary>One example per row.</summary>
    /// <param name="examples">Tokenized examples whose mask is the loss mask.</param>
    /// <param name="padId">The id written into padding positions (they are masked out of attention and loss).</param>
    public static SftDataset Unpacked(IReadOnlyList<TokenizedConversation> examples, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(examples);
        return new SftDataset(examples, [.. Enumerable.Range(0, examples.Count).Select(i => new[] { i })], packed: false, padId);
    }

    /// <summary>Examples packed into rows of at most <paramref name="maxLength"/> tokens by best-fit decreasing.</summary>
    /// <param name="examples">Tokenized examples whose mask is the loss mask, each at most <paramref name="maxLength"/> tokens.</param>
    /// <param name="maxLength">The row length.</param>
    /// <param name="padId">The id written into padding positions.</param>
    public static SftDataset Packed(IReadOnlyList<TokenizedConversation> examples, int maxLength, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(examples);
        IReadOnlyList<int[]> rows = SequencePacker.Pack([.. examples.Select(e => e.InputIds.Length)], maxLength);
        return new SftDataset(examples, rows, packed: true, padId);
    }

    /// <inheritdoc />
    public SftBatch Collate(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one row.", nameof(indices));
        }

        int batch = indices.Count;
        int[] lengths = [.. indices.Select(r => rows[r].Sum(i => examples[i].InputIds.Length))];
        int width = lengths.Max();
        var ids = new long[batch * width];
        var labels = new long[batch * width];
        var attention = new long[batch * width];
        var positions = new long[batch * width];
        var sequences = new long[batch * width];
        Array.Fill(ids, padId);
        Array.Fill(labels, LossMask.IgnoreIndex);
        Array.Fill(sequences, -1L);
        int exampleCount = 0;
        for (int b = 0; b < batch; b++)
        {
            int offset = b * width;
            int[] row = rows[indices[b]];
            for (int k = 0; k < row.Length; k++)
            {
                TokenizedConversation example = examples[row[k]];
                long[] exampleLabels = LossMask.Labels(example.InputIds, example.CompletionMask);
                for (int t = 0; t < example.InputIds.Length; t++)
                {
                    ids[offset + t] = example.InputIds[t];
                    labels[offset + t] = exampleLabels[t];
                    attention[offset + t] = 1;
                    positions[offset + t] = t;
                    sequences[offset + t] = k;
                }

                offset += example.InputIds.Length;
                exampleCount++;
            }
        }

        long[] shape = [batch, width];
        return new SftBatch(
            tensor(ids, shape),
            tensor(labels, shape),
            tensor(attention, shape),
            tensor(positions, shape),
            IsPacked ? tensor(sequences, shape) : null,
            exampleCount);
    }
}
