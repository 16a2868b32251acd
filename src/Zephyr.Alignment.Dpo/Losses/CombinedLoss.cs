using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Several losses with weights, as TRL's list-valued <c>loss_type</c> with <c>loss_weights</c> (e.g. MPO =
/// sigmoid 0.8 + bco_pair 0.2 + sft 1.0; RPO = sigmoid + α·sft): the per-pair losses are Σ_k w_k·ℓ_k,i, so the
/// batch loss, their mean, is Σ_k w_k·mean_i ℓ_k,i.
/// </summary>
/// <remarks>
/// Loss types whose losses are not in pair order (aot, aot_unpaired) still combine correctly in the batch mean.
/// Each term validates the batch itself.
/// </remarks>
/// <example>
/// <code>
/// var mpo = new CombinedLoss([(new SigmoidLoss(0.1), 0.8), (new BcoPairLoss(0.1), 0.2), (new SftLoss(0.1), 1.0)]);
/// using var output = mpo.Compute(inputs);
/// Tensor loss = output.Losses.mean();
/// </code>
/// </example>
public sealed class CombinedLoss : ILossFunction
{
    /// <summary>Creates the combination.</summary>
    /// <param name="terms">The losses and their weights, in TRL's <c>loss_type</c> order; at least one, weights finite.</param>
    /// <param name="rewards">Which rewards to report; <see cref="CombinedRewards.FirstTerm"/> is current TRL.</param>
    /// <exception cref="ArgumentException"><paramref name="terms"/> is empty, holds a null loss or a non-finite weight.</exception>
    public CombinedLoss(IEnumerable<(ILossFunction Loss, double Weight)> terms, CombinedRewards rewards = CombinedRewards.FirstTerm)
    {
        ArgumentNullException.ThrowIfNull(terms);
        Terms = [.. terms];
        if (Terms.Count == 0)
        {
            throw new ArgumentException("A combined loss needs at least one term.", nameof(terms));
        }

        foreach (var (loss, weight) in Terms)
        {
            if (loss is null)
            {
                throw new ArgumentException("A combined loss term is null.", nameof(terms));
            }

            if (!double.IsFinite(weight))
            {
                throw new ArgumentException($"The weight of the '{loss.Name}' term must be finite, got {weight}.", nameof(terms));
            }
        }

        if (!Enum.IsDefined(rewards))
        {
            throw new ArgumentOutOfRangeException(nameof(rewards), rewards, "Unknown CombinedRewards value.");
        }

        Rewards = rewards;
    }

    /// <summary>The losses and their weights, in order.</summary>
    public IReadOnlyList<(ILossFunction Loss, double Weight)> Terms { get; }

    /// <summary>Which rewards <see cref="Compute"/> reports.</summary>
    public CombinedRewards Rewards { get; }

    /// <summary>The term names joined by <c>+</c>, e.g. <c>sigmoid+bco_pair+sft</c>.</summary>
    public string Name => string.Join("+", Terms.Select(t => t.Loss.Name));

    /// <inheritdoc />
    public PreferenceLossOutput Compute(PreferenceLossInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor? losses = null;
        Tensor? chosenRewards = null;
        Tensor? rejectedRewards = null;
        for (int k = 0; k < Terms.Count; k++)
        {
            var (loss, weight) = Terms[k];
            PreferenceLossOutput term = loss.Compute(inputs);
            Tensor weighted = term.Losses * weight;
            losses = losses is null ? weighted : losses + weighted;
            if (Rewards == CombinedRewards.WeightedSum)
            {
                chosenRewards = chosenRewards is null ? term.ChosenRewards * weight : chosenRewards + term.ChosenRewards * weight;
                rejectedRewards = rejectedRewards is null ? term.RejectedRewards * weight : rejectedRewards + term.RejectedRewards * weight;
            }
            else if (k == 0)
            {
                chosenRewards = term.ChosenRewards;
                rejectedRewards = term.RejectedRewards;
            }
        }

        return new PreferenceLossOutput(
            losses!.MoveToOuterDisposeScope(),
            chosenRewards!.MoveToOuterDisposeScope(),
            rejectedRewards!.MoveToOuterDisposeScope());
    }
}
