using static TorchSharp.torch;

namespace Zephyr.Alignment;

/// <summary>
/// The flat positions whose logits a loss reads, for <see cref="IPolicyModel.ForwardAt"/>: row-major indices
/// <c>b * T + t</c> into a <c>[B, T]</c> batch.
/// </summary>
public static class LogitPositions
{
    /// <summary>
    /// The positions whose logits predict a token in the loss: position t of row b where <c>labels[b, t + 1]</c> is not
    /// negative (<c>-100</c>, transformers' ignore index). Prompt, masked turns and padding are left out.
    /// </summary>
    /// <param name="labels">Unshifted labels <c>[B, T]</c>, negative outside the loss.</param>
    /// <returns>The positions <c>[N]</c> (int64, ascending) and the label each predicts <c>[N]</c> (int64). The caller owns both.</returns>
    public static (Tensor Positions, Tensor Targets) ForShiftedLabels(Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.dim() != 2 || labels.shape[1] < 1)
        {
            throw new ArgumentException($"labels must be [B, T] with T >= 1; got [{string.Join(", ", labels.shape)}].", nameof(labels));
        }

        using var scope = NewDisposeScope();
        long time = labels.shape[1];

        // Position t is scored by the label at t + 1; the last position has none.
        Tensor next = nn.functional.pad(labels.narrow(1, 1, time - 1).to(ScalarType.Int64), [0, 1], value: -1).reshape(-1); // [B*T]
        Tensor positions = next.ge(0).nonzero().reshape(-1);                                                                   // [N]
        Tensor targets = next.index_select(0, positions);                                                                      // [N]
        return (positions.MoveToOuterDisposeScope(), targets.MoveToOuterDisposeScope());
    }

    /// <summary>Checks <paramref name="logitPositions"/> against <paramref name="inputIds"/> <c>[B, T]</c> and returns it.</summary>
    /// <param name="logitPositions">Flat indices <c>[N]</c>.</param>
    /// <param name="inputIds">The batch's token ids <c>[B, T]</c>.</param>
    /// <exception cref="ArgumentException">Not a 1-D integer tensor, or an index outside <c>[0, B·T)</c>.</exception>
    public static Tensor Validate(Tensor logitPositions, Tensor inputIds)
    {
        ArgumentNullException.ThrowIfNull(logitPositions);
        ArgumentNullException.ThrowIfNull(inputIds);
        if (logitPositions.dim() != 1 || logitPositions.dtype is not (ScalarType.Int64 or ScalarType.Int32))
        {
            throw new ArgumentException(
                $"logitPositions must be a 1-D int64 or int32 tensor of flat indices; got {logitPositions.dtype} [{string.Join(", ", logitPositions.shape)}].",
                nameof(logitPositions));
        }

        long count = inputIds.shape[0] * inputIds.shape[^1];
        if (logitPositions.shape[0] > 0)
        {
            using var scope = NewDisposeScope();
            long low = logitPositions.min().to(ScalarType.Int64).item<long>(), high = logitPositions.max().to(ScalarType.Int64).item<long>();
            if (low < 0 || high >= count)
            {
                throw new ArgumentException(
                    $"logitPositions must lie in [0, B*T) = [0, {count}) for inputIds [{string.Join(", ", inputIds.shape)}]; got indices from {low} to {high}.",
                    nameof(logitPositions));
            }
        }

        return logitPositions;
    }
}
