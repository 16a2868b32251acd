using Zephyr.Alignment.Dpo.Data;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo;

/// <summary>
/// What <see cref="DpoObjective"/> consumes: a collated <see cref="PreferenceBatch"/> and, when the reference
/// log-probabilities were precomputed, those of its pairs. Disposing it releases every tensor.
/// </summary>
public sealed class DpoBatch : IDisposable
{
    /// <summary>Creates a batch.</summary>
    /// <param name="pairs">The <c>[chosen; rejected]</c> rows.</param>
    /// <param name="referenceChosenLogps">Precomputed log π_ref(chosen) <c>[B]</c>, or <see langword="null"/> to run the reference model.</param>
    /// <param name="referenceRejectedLogps">Precomputed log π_ref(rejected) <c>[B]</c>; given exactly when <paramref name="referenceChosenLogps"/> is.</param>
    /// <exception cref="ArgumentException">Only one of the reference tensors is given, or one is not <c>[B]</c>.</exception>
    public DpoBatch(PreferenceBatch pairs, Tensor? referenceChosenLogps = null, Tensor? referenceRejectedLogps = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if ((referenceChosenLogps is null) != (referenceRejectedLogps is null))
        {
            throw new ArgumentException("Give both precomputed reference log-prob tensors or neither.", nameof(referenceRejectedLogps));
        }

        foreach (Tensor? values in (Tensor?[])[referenceChosenLogps, referenceRejectedLogps])
        {
            if (values is not null && (values.dim() != 1 || values.shape[0] != pairs.PairCount))
            {
                throw new ArgumentException(
                    $"Precomputed reference log-probs must be [{pairs.PairCount}]; got [{string.Join(", ", values.shape)}].", nameof(referenceChosenLogps));
            }
        }

        Pairs = pairs;
        ReferenceChosenLogps = referenceChosenLogps;
        ReferenceRejectedLogps = referenceRejectedLogps;
    }

    /// <summary>The token rows.</summary>
    public PreferenceBatch Pairs { get; }

    /// <summary>Precomputed log π_ref(chosen | prompt) <c>[B]</c>, or <see langword="null"/>.</summary>
    public Tensor? ReferenceChosenLogps { get; }

    /// <summary>Precomputed log π_ref(rejected | prompt) <c>[B]</c>, or <see langword="null"/>.</summary>
    public Tensor? ReferenceRejectedLogps { get; }

    /// <summary>True when the batch carries precomputed reference log-probs.</summary>
    public bool HasReferenceLogProbs => ReferenceChosenLogps is not null;

    /// <inheritdoc />
    public void Dispose()
    {
        Pairs.Dispose();
        ReferenceChosenLogps?.Dispose();
        ReferenceRejectedLogps?.Dispose();
    }
}
