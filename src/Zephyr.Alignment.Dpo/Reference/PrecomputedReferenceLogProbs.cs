using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Zephyr.Alignment.Dpo.Data;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Reference;

/// <summary>
/// log π_ref(chosen | prompt) and log π_ref(rejected | prompt) of every pair of a tokenized dataset, computed once
/// before training (TRL's <c>precompute_ref_log_probs</c>), so the reference model can be released and each training
/// step runs one model instead of two. The paper's "no additional sampling during fine-tuning" is what makes this valid:
/// π_ref and the data never change during training.
/// </summary>
/// <remarks>
/// Values are kept as doubles together with the dtype they were computed in (float32, or float64 for a float64
/// reference), and restored in that dtype, so a batch sees exactly the numbers the reference produced.
/// </remarks>
public sealed class PrecomputedReferenceLogProbs
{
    private readonly double[] chosen;
    private readonly double[] rejected;

    /// <summary>Wraps computed or loaded values.</summary>
    /// <param name="chosen">log π_ref of each chosen completion, by example index.</param>
    /// <param name="rejected">log π_ref of each rejected completion, by example index.</param>
    /// <param name="dtype">The dtype they were computed in: float32 or float64.</param>
    /// <exception cref="ArgumentException">The arrays differ in length, or the dtype is not float32 or float64.</exception>
    public PrecomputedReferenceLogProbs(double[] chosen, double[] rejected, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        if (chosen.Length != rejected.Length)
        {
            throw new ArgumentException($"Expected as many rejected values as chosen ones ({chosen.Length}); got {rejected.Length}.", nameof(rejected));
        }

        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
        {
            throw new ArgumentException($"Reference log-probs are float32 or float64; got {dtype}.", nameof(dtype));
        }

        this.chosen = chosen;
        this.rejected = rejected;
        DType = dtype;
    }

    /// <summary>Number of pairs.</summary>
    public int Count => chosen.Length;

    /// <summary>The dtype the values were computed in; batches get them back in it.</summary>
    public ScalarType DType { get; }

    /// <summary>log π_ref(chosen | prompt) by example index.</summary>
    public IReadOnlyList<double> Chosen => chosen;

    /// <summary>log π_ref(rejected | prompt) by example index.</summary>
    public IReadOnlyList<double> Rejected => rejected;

    /// <summary>
    /// Runs the reference once over <paramref name="examples"/>, in order, in batches of <paramref name="batchSize"/>
    /// pairs collated as for training (<c>[chosen; rejected]</c>, padded to each batch's longest sequence).
    /// </summary>
    /// <param name="reference">The frozen reference.</param>
    /// <param name="examples">The tokenized pairs, in dataset order.</param>
    /// <param name="collator">The training collator (same padding).</param>
    /// <param name="batchSize">Pairs per forward pass (TRL's <c>precompute_ref_batch_size</c>).</param>
    /// <param name="progress">Receives the number of pairs done after each batch; may be null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The values, by example index.</returns>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static PrecomputedReferenceLogProbs Compute(
        IReferenceModel reference,
        IReadOnlyList<TokenizedPreference> examples,
        PreferenceCollator collator,
        int batchSize,
        Action<int>? progress = null,
        CancellationToken cancellationToken = default)
        => Compute(reference, examples, collator, batchSize, prefixSharing: false, logger: null, progress, cancellationToken);

    /// <summary>
    /// Runs the reference once over <paramref name="examples"/> as <see cref="Compute(IReferenceModel, IReadOnlyList{TokenizedPreference}, PreferenceCollator, int, Action{int}?, CancellationToken)"/>
    /// does, with each pair's prompt computed once when <paramref name="prefixSharing"/> is set (<see cref="DpoOptions.PrefixSharing"/>).
    /// </summary>
    /// <param name="reference">The frozen reference.</param>
    /// <param name="examples">The tokenized pairs, in dataset order.</param>
    /// <param name="collator">The training collator (same padding).</param>
    /// <param name="batchSize">Pairs per forward pass.</param>
    /// <param name="prefixSharing">Score <c>[prompt; chosen; rejected]</c> rows (<see cref="PrefixSharedPairs"/>) where that is exact.</param>
    /// <param name="logger">Receives the Warning when the reference cannot share the prompt exactly; may be null.</param>
    /// <param name="progress">Receives the number of pairs done after each batch; may be null.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The values, by example index.</returns>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static PrecomputedReferenceLogProbs Compute(
        IReferenceModel reference,
        IReadOnlyList<TokenizedPreference> examples,
        PreferenceCollator collator,
        int batchSize,
        bool prefixSharing,
        ILogger? logger,
        Action<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(collator);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var chosen = new double[examples.Count];
        var rejected = new double[examples.Count];
        ScalarType dtype = reference.DType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var gate = new PrefixSharingGate(logger ?? NullLogger.Instance);
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int count = Math.Min(batchSize, examples.Count - start);
            using PreferenceBatch batch = collator.Collate([.. examples.Skip(start).Take(count)]);
            using PrefixSharedPairs? shared = prefixSharing ? PrefixSharedPairs.Pack(batch.InputIds, batch.AttentionMask, batch.CompletionMask) : null;
            Tensor sums = gate.ReferenceSequenceLogProbs(reference, batch.InputIds, batch.AttentionMask, batch.CompletionMask, shared, CPU); // [2n]
            double[] values = sums.to(ScalarType.Float64).data<double>().ToArray();
            Array.Copy(values, 0, chosen, start, count);
            Array.Copy(values, count, rejected, start, count);
            progress?.Invoke(start + count);
        }

        return new PrecomputedReferenceLogProbs(chosen, rejected, dtype);
    }

    /// <summary>The values of the pairs at <paramref name="indices"/> as two <c>[B]</c> CPU tensors in <see cref="DType"/>.</summary>
    /// <param name="indices">Example indices.</param>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <c>[0, Count)</c>.</exception>
    internal (Tensor Chosen, Tensor Rejected) Gather(IReadOnlyList<int> indices)
    {
        var c = new double[indices.Count];
        var r = new double[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            int index = indices[i];
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            c[i] = chosen[index];
            r[i] = rejected[index];
        }

        // float64 → float32 is exact here: the values were float32 to begin with.
        return (tensor(c).to(DType), tensor(r).to(DType));
    }
}
