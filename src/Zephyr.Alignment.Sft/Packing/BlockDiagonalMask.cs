using static TorchSharp.torch;

namespace Zephyr.Alignment.Sft.Packing;

/// <summary>The attention mask of packed rows: each token may see only the tokens of its own example.</summary>
public static class BlockDiagonalMask
{
    /// <summary>Builds the query × key visibility mask from per-token example numbers.</summary>
    /// <param name="sequenceIds">Per token, the number of its example within the row, <c>[B, T]</c>; negative on padding.</param>
    /// <returns>
    /// <c>[B, T, T]</c> bool: true where query t and key s belong to the same example. Causality is left to the model
    /// (<see cref="IPolicyModel.Forward(Tensor, Tensor?, Tensor?)"/>); padding sees nothing and is seen by nothing.
    /// </returns>
    /// <example>
    /// Row <c>[0, 0, 1, 1, 1, -1]</c> (two examples of 2 and 3 tokens, one pad) gives the blocks
    /// <code>
    /// 1 1 . . . .
    /// 1 1 . . . .
    /// . . 1 1 1 .
    /// . . 1 1 1 .
    /// . . 1 1 1 .
    /// . . . . . .
    /// </code>
    /// </example>
    public static Tensor Build(Tensor sequenceIds)
    {
        ArgumentNullException.ThrowIfNull(sequenceIds);
        if (sequenceIds.dim() != 2)
        {
            throw new ArgumentException($"sequenceIds must be [B, T]; got [{string.Join(", ", sequenceIds.shape)}].", nameof(sequenceIds));
        }

        using var scope = NewDisposeScope();
        Tensor same = sequenceIds.unsqueeze(2).eq(sequenceIds.unsqueeze(1)); // [B, T, T]
        Tensor real = sequenceIds.ge(0).unsqueeze(1); // [B, 1, T]: padding keys are never visible
        return same.logical_and(real).MoveToOuterDisposeScope();
    }
}
