using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Dpo;

/// <summary>
/// Tokenized preference pairs as an <see cref="ITrainingDataset{TBatch}"/> for the shared training loop: the loop picks
/// the indices, <see cref="Collate"/> stacks the pairs (<see cref="PreferenceCollator"/>) and attaches their precomputed
/// reference log-probabilities when there are any.
/// </summary>
public sealed class DpoDataset : ITrainingDataset<DpoBatch>
{
    /// <summary>Creates the dataset.</summary>
    /// <param name="examples">The tokenized pairs (from <see cref="PreferenceTokenizer"/>); at least one.</param>
    /// <param name="collator">Stacks and pads them.</param>
    /// <param name="referenceLogProbs">Precomputed reference log-probs of every example, or <see langword="null"/> to run the reference model live.</param>
    /// <exception cref="ArgumentException">There are no examples, or the precomputed values do not cover them one to one.</exception>
    public DpoDataset(IReadOnlyList<TokenizedPreference> examples, PreferenceCollator collator, PrecomputedReferenceLogProbs? referenceLogProbs = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(collator);
        if (examples.Count == 0)
        {
            throw new ArgumentException("A DPO dataset needs at least one tokenized pair.", nameof(examples));
        }

        if (referenceLogProbs is not null && referenceLogProbs.Count != examples.Count)
        {
            throw new ArgumentException(
                $"The precomputed reference log-probs cover {referenceLogProbs.Count} pairs but the dataset has {examples.Count}.", nameof(referenceLogProbs));
        }

        Examples = examples;
        Collator = collator;
        ReferenceLogProbs = referenceLogProbs;
    }

    /// <summary>The tokenized pairs.</summary>
    public IReadOnlyList<TokenizedPreference> Examples { get; }

    /// <summary>The collator.</summary>
    public PreferenceCollator Collator { get; }

    /// <summary>The precomputed reference log-probs, or <see langword="null"/>.</summary>
    public PrecomputedReferenceLogProbs? ReferenceLogProbs { get; }

    /// <inheritdoc />
    public int Count => Examples.Count;

    /// <summary>The same pairs with precomputed reference log-probs attached.</summary>
    /// <param name="referenceLogProbs">One value pair per example.</param>
    public DpoDataset WithReferenceLogProbs(PrecomputedReferenceLogProbs referenceLogProbs)
    {
        ArgumentNullException.ThrowIfNull(referenceLogProbs);
        return new DpoDataset(Examples, Collator, referenceLogProbs);
    }

    /// <inheritdoc />
    public DpoBatch Collate(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var pairs = new TokenizedPreference[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            pairs[i] = Examples[indices[i]];
        }

        PreferenceBatch batch = Collator.Collate(pairs);
        if (ReferenceLogProbs is null)
        {
            return new DpoBatch(batch);
        }

        var (chosen, rejected) = ReferenceLogProbs.Gather(indices);
        return new DpoBatch(batch, chosen, rejected);
    }
}
