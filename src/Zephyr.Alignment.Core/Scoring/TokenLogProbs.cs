using static TorchSharp.torch;

namespace Zephyr.Alignment.Scoring;

/// <summary>
/// Log-probabilities of given tokens under a model's logits, without materialising a second vocabulary-sized
/// tensor: rows are processed in chunks, each chunk's log-sum-exp is subtracted from the logit of its label.
/// </summary>
/// <remarks>
/// Differentiable: gradients flow to <c>logits</c> through one autograd node whose forward keeps only a log-sum-exp per
/// row and whose backward writes the single <c>[B, T, V]</c> gradient chunk by chunk, so a training step holds the logits
/// and their gradient and nothing else of that size. Half-precision logits are upcast to float32 per chunk,
/// because a bf16 log-softmax over a 32k vocabulary loses most of its mantissa; float64 stays float64.
/// Pass contiguous logits (a model's output is); others are copied once.
/// </remarks>
public static class TokenLogProbs
{
    /// <summary>Rows (positions) per chunk. At a 32k vocabulary, 1024 rows of float32 is 128 MB.</summary>
    public const long DefaultChunkRows = 1024;

    /// <summary>log softmax(logits)[label] at every position.</summary>
    /// <param name="logits">Logits <c>[B, T, V]</c>.</param>
    /// <param name="labels">Token ids <c>[B, T]</c>; negative ids (e.g. -100) give 0.</param>
    /// <param name="chunkRows">Positions processed at once.</param>
    /// <returns>Log-probabilities <c>[B, T]</c> in float32 (float64 for float64 logits). The caller owns it.</returns>
    public static Tensor Gather(Tensor logits, Tensor labels, long chunkRows = DefaultChunkRows)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
        {
            throw new ArgumentException(
                $"Expected logits [B, T, V] and labels [B, T]; got logits [{string.Join(", ", logits.shape)}] and labels [{string.Join(", ", labels.shape)}].");
        }

        using var scope = NewDisposeScope();
        long batch = logits.shape[0], time = logits.shape[1], vocab = logits.shape[2];

        // A view for contiguous logits (a model's output is): no copy of the [B, T, V] block.
        Tensor flatLogits = logits.reshape(batch * time, vocab);                              // [N, V]
        Tensor flatLabels = labels.reshape(batch * time).clamp_min(0).to(ScalarType.Int64);   // [N]
        Tensor result = TokenLogProbFunction.apply(flatLogits, flatLabels, chunkRows).reshape(batch, time); // [B, T]
        result = result.where(labels >= 0, zeros_like(result));
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Log-probabilities of completion tokens given everything before them: position <c>t-1</c>'s logits score
    /// token <c>t</c> (the causal shift), counted only where <paramref name="completionMask"/> is set at <c>t</c>.
    /// </summary>
    /// <param name="logits">Logits <c>[B, T, V]</c> of <paramref name="inputIds"/>.</param>
    /// <param name="inputIds">Token ids <c>[B, T]</c> (prompt, completion and padding).</param>
    /// <param name="completionMask">1 on completion tokens, 0 on prompt and padding, <c>[B, T]</c>.</param>
    /// <returns>Per-token log-probs <c>[B, T-1]</c> (0 outside completions), their sums and token counts <c>[B]</c>.</returns>
    public static CompletionLogProbs ForCompletions(Tensor logits, Tensor inputIds, Tensor completionMask)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(completionMask);
        if (logits.dim() != 3 || inputIds.dim() != 2 || !inputIds.shape.SequenceEqual(logits.shape[..2])
            || !completionMask.shape.SequenceEqual(inputIds.shape) || logits.shape[1] < 2)
        {
            throw new ArgumentException(
                $"Expected logits [B, T, V] with T >= 2 and ids and mask [B, T]; got [{string.Join(", ", logits.shape)}], " +
                $"[{string.Join(", ", inputIds.shape)}], [{string.Join(", ", completionMask.shape)}].",
                nameof(logits));
        }

        using var scope = NewDisposeScope();
        long time = inputIds.shape[1];

        // The labels are shifted, not the logits: narrowing [B, T, V] to T-1 positions would make every later reshape
        // copy the whole block. Position T-1 gets label -1 and scores 0.
        Tensor targets = nn.functional.pad(inputIds.narrow(1, 1, time - 1), [0, 1], value: -1); // [B, T]
        Tensor mask = completionMask.narrow(1, 1, time - 1).to(ScalarType.Bool);                // [B, T-1]
        Tensor perToken = Gather(logits, targets).narrow(1, 0, time - 1);                        // [B, T-1]
        perToken = perToken.where(mask, zeros_like(perToken));
        Tensor sum = perToken.sum(1);
        Tensor count = mask.sum(1);
        return new CompletionLogProbs(perToken.MoveToOuterDisposeScope(), sum.MoveToOuterDisposeScope(), count.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// How many trailing positions' logits <see cref="ForCompletions"/> reads: from the position just before the
    /// earliest completion token of any row to the end (TRL's <c>logits_to_keep</c> for DPO). Pass it to
    /// <see cref="IPolicyModel.Forward(Tensor, Tensor?, Tensor?, long)"/> and narrow the ids and masks to the same window,
    /// and the prompt positions before it cost no LM head.
    /// </summary>
    /// <param name="completionMask">1 on completion tokens <c>[B, T]</c>; on the CPU, reading it costs no device sync.</param>
    /// <returns>N in 2..T; T when no row has a completion token.</returns>
    public static long LogitsToKeep(Tensor completionMask)
    {
        ArgumentNullException.ThrowIfNull(completionMask);
        using var scope = NewDisposeScope();
        long time = completionMask.shape[^1];
        Tensor columns = completionMask.ne(0).any(0).nonzero();                   // [K, 1] columns with a completion token
        long first = columns.shape[0] == 0 ? 0 : columns[0, 0].item<long>();
        return Math.Min(time, time - first + 1);
    }
}
