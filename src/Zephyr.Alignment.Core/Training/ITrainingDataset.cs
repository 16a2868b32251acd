namespace Zephyr.Alignment.Training;

/// <summary>
/// Training or evaluation examples addressed by index, turned into batches on request. The loop owns the order:
/// it draws a seeded permutation of <c>0..Count-1</c> per epoch and asks for the batches in turn, so a resumed
/// run can ask for exactly the batches it has not seen.
/// </summary>
/// <typeparam name="TBatch">What <see cref="ITrainingObjective{TBatch}"/> consumes, e.g. padded id and mask tensors.</typeparam>
/// <example>
/// A causal-LM dataset of equal-length token sequences:
/// <code>
/// sealed class TokenRows(long[][] rows) : ITrainingDataset&lt;Tensor&gt;
/// {
///     public int Count =&gt; rows.Length;
///     public Tensor Collate(IReadOnlyList&lt;int&gt; indices)
///         =&gt; torch.tensor(indices.SelectMany(i =&gt; rows[i]).ToArray(), [indices.Count, rows[0].Length]);
/// }
/// </code>
/// </example>
public interface ITrainingDataset<TBatch>
{
    /// <summary>Number of examples (for packed data: of packed rows).</summary>
    int Count { get; }

    /// <summary>
    /// Builds the batch of the examples at <paramref name="indices"/>, in that order. The loop calls it inside the
    /// dispose scope of the micro-batch, so tensors created here are released after the micro-batch; a batch that is
    /// <see cref="IDisposable"/> is also disposed then.
    /// </summary>
    /// <param name="indices">Example indices, each in <c>[0, Count)</c>; at most the configured batch size of them.</param>
    TBatch Collate(IReadOnlyList<int> indices);
}
