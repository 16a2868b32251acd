using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Summed completion log-probs from logits, as TRL's <c>selective_log_softmax</c> and sum: the logits at position t
/// predict the token at t + 1, prompt and padding positions are masked out. The loss tests use it to check the loss
/// family end to end from logits; the trainer's batched forward pass owns the production version.
/// </summary>
internal static class SequenceLogProbs
{
    /// <summary>Per-token log-probs of the completion tokens and their sums.</summary>
    /// <param name="logits">[N, T, V] logits of a batch in the <c>[chosen; rejected]</c> layout.</param>
    /// <param name="inputIds">[N, T] token ids.</param>
    /// <param name="completionMask">[N, T], 1 on completion tokens, 0 on prompt and padding.</param>
    /// <returns>PerToken [N, T − 1] (0 off the completion), Sums [N], ShiftedMask [N, T − 1] as booleans.</returns>
    public static (Tensor PerToken, Tensor Sums, Tensor ShiftedMask) Compute(Tensor logits, Tensor inputIds, Tensor completionMask)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(completionMask);
        if (logits.dim() != 3 || !inputIds.shape.SequenceEqual(logits.shape[..2]) || !completionMask.shape.SequenceEqual(inputIds.shape) || logits.shape[1] < 2)
        {
            throw new ArgumentException(
                $"Expected logits [N, T, V] with T >= 2 and ids and mask [N, T]; got [{string.Join(", ", logits.shape)}], [{string.Join(", ", inputIds.shape)}], [{string.Join(", ", completionMask.shape)}].",
                nameof(logits));
        }

        using var scope = NewDisposeScope();
        long steps = logits.shape[1] - 1;
        Tensor shiftedLogits = logits.narrow(1, 0, steps);                           // [N, T-1, V]
        Tensor labels = inputIds.narrow(1, 1, steps);                                 // [N, T-1]
        Tensor mask = completionMask.narrow(1, 1, steps).to_type(ScalarType.Bool);    // [N, T-1]
        Tensor selected = shiftedLogits.gather(-1, labels.unsqueeze(-1)).squeeze(-1); // [N, T-1]
        // One row at a time, so that log-softmax never holds a second [N, T-1, V] tensor.
        Tensor normalisers = stack(Enumerable.Range(0, (int)logits.shape[0]).Select(i => shiftedLogits[i].logsumexp(-1)).ToArray()); // [N, T-1]
        Tensor perToken = (selected - normalisers).masked_fill(mask.logical_not(), 0.0);
        Tensor sums = perToken.sum(1);
        return (perToken.MoveToOuterDisposeScope(), sums.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }
}
