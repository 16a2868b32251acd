using static TorchSharp.torch;

namespace Zephyr.Alignment.Training;

/// <summary>The result of <see cref="ITrainingObjective{TBatch}.ComputeLoss"/> for one batch.</summary>
/// <param name="Loss">The scalar loss (one element). The loop logs its mean as <c>loss</c> (<c>eval_loss</c> in evaluation).</param>
/// <param name="Metrics">
/// The batch's metrics (for example <c>rewards/accuracies</c> or <c>mean_token_accuracy</c>); the loop averages them
/// over each logging window, weighted by <see cref="Weight"/>, and prefixes <c>eval_</c> in evaluation.
/// </param>
public sealed record ObjectiveOutput(Tensor Loss, IReadOnlyDictionary<string, double> Metrics)
{
    /// <summary>
    /// The weight of this batch's <see cref="Metrics"/> in their averages: 1 (the default) gives every batch the same
    /// weight, as TRL does for DPO; a token count makes them token-weighted, as for SFT's <c>mean_token_accuracy</c>.
    /// </summary>
    public double Weight { get; init; } = 1.0;

    /// <summary>
    /// Quantities summed over the whole run instead of averaged, such as TRL's <c>num_tokens</c>; the loop logs the
    /// running total (kept across a resume). Default: none.
    /// </summary>
    public IReadOnlyDictionary<string, double>? Counts { get; init; }

    /// <summary>
    /// The number of items <see cref="Loss"/> averages over, such as the label tokens of a token-averaged loss; null
    /// (the default) for a loss that is a mean over examples.
    /// </summary>
    /// <remarks>
    /// When every micro-batch of an optimizer step sets it, the loop normalises by the step's total, as transformers
    /// (≥ 4.46) and TRL do with <c>num_items_in_batch</c>: the step's gradient and logged <c>loss</c> are those of the
    /// sum of the item losses divided by the number of items in all its micro-batches, so accumulating k micro-batches
    /// equals one batch of all of them even when their lengths and masks differ. Without it, the loop divides each
    /// micro-batch's loss by the number of micro-batches (TRL's DPO does the same). 0 is allowed (nothing to learn from).
    /// </remarks>
    public double? LossItems { get; init; }
}
