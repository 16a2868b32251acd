using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>
/// A collated batch of <see cref="PairCount"/> preference pairs: chosen rows first, then rejected rows, so one forward
/// pass covers both. Disposing it releases its tensors.
/// </summary>
public sealed class PreferenceBatch : IDisposable
{
    internal PreferenceBatch(Tensor inputIds, Tensor attentionMask, Tensor completionMask, int pairCount)
    {
        InputIds = inputIds;
        AttentionMask = attentionMask;
        CompletionMask = completionMask;
        PairCount = pairCount;
    }

    /// <summary>Token ids <c>[2B, T]</c>, int64: rows <c>0..B-1</c> are prompt+chosen, rows <c>B..2B-1</c> prompt+rejected; right-padded.</summary>
    public Tensor InputIds { get; }

    /// <summary>1 on real tokens, 0 on padding, <c>[2B, T]</c>, int64.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>1 on completion tokens, 0 on prompt and padding, <c>[2B, T]</c>, int64.</summary>
    public Tensor CompletionMask { get; }

    /// <summary>The number of pairs <c>B</c> (half the rows).</summary>
    public int PairCount { get; }

    /// <summary>The padded length <c>T</c>: the longest sequence of the batch.</summary>
    public long SequenceLength => InputIds.shape[1];

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        CompletionMask.Dispose();
    }
}
