using Zephyr.Alignment.Sft.Packing;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Sft;

/// <summary>
/// A collated SFT micro-batch on the CPU: rows padded on the right to the longest row of the batch, each row one example
/// or (packed) several examples back to back.
/// </summary>
/// <remarks>The training loop collates inside a dispose scope; a batch built elsewhere should be disposed.</remarks>
public sealed class SftBatch : IDisposable
{
    /// <summary>Creates a batch; <see cref="SftDataset.Collate"/> is the usual way.</summary>
    /// <param name="inputIds">Token ids <c>[B, T]</c>, int64; padding is the pad id.</param>
    /// <param name="labels">Unshifted labels <c>[B, T]</c>, int64, <see cref="Masking.LossMask.IgnoreIndex"/> outside the loss.</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding, <c>[B, T]</c>, int64.</param>
    /// <param name="positionIds">Positions <c>[B, T]</c>, int64, restarting at 0 for each packed example.</param>
    /// <param name="sequenceIds">Packed rows only: per token, the example's number within its row, -1 on padding, <c>[B, T]</c>.</param>
    /// <param name="exampleCount">Examples in the batch (more than B when packed).</param>
    public SftBatch(Tensor inputIds, Tensor labels, Tensor attentionMask, Tensor positionIds, Tensor? sequenceIds, int exampleCount)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(attentionMask);
        ArgumentNullException.ThrowIfNull(positionIds);
        InputIds = inputIds;
        Labels = labels;
        AttentionMask = attentionMask;
        PositionIds = positionIds;
        SequenceIds = sequenceIds;
        ExampleCount = exampleCount;
    }

    /// <summary>Token ids <c>[B, T]</c>, int64.</summary>
    public Tensor InputIds { get; }

    /// <summary>Unshifted labels <c>[B, T]</c>: the token id where the loss applies, -100 elsewhere (prompt, user turns, padding, each example's first token).</summary>
    public Tensor Labels { get; }

    /// <summary>1 for real tokens, 0 for padding, <c>[B, T]</c>, int64.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>Positions <c>[B, T]</c>, int64: <c>0..n-1</c> within each example, so a packed example sees the positions it would see alone.</summary>
    public Tensor PositionIds { get; }

    /// <summary>For packed rows, per token the number of its example within the row (-1 on padding), <c>[B, T]</c>; null when not packed.</summary>
    public Tensor? SequenceIds { get; }

    /// <summary>Examples in the batch.</summary>
    public int ExampleCount { get; }

    /// <summary>Whether rows hold several examples.</summary>
    public bool IsPacked => SequenceIds is not null;

    /// <summary>
    /// The mask to give <see cref="IPolicyModel.Forward(Tensor, Tensor?, Tensor?)"/>, on <paramref name="device"/>: the padding mask <c>[B, T]</c>, or
    /// for packed rows the block-diagonal <c>[B, T, T]</c> mask, built on the device so the T² tensor never crosses to it.
    /// </summary>
    /// <param name="device">The model's device.</param>
    public Tensor ModelAttentionMask(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return SequenceIds is { } sequences ? BlockDiagonalMask.Build(sequences.to(device)) : AttentionMask.to(device);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        AttentionMask.Dispose();
        PositionIds.Dispose();
        SequenceIds?.Dispose();
    }
}
