using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// An f-divergence for f-DPO (Wang et al. 2023, "Beyond Reverse KL: Generalizing Direct Preference Optimization
/// with Diverse Divergence Constraints", arXiv 2310.16240, Table 1): maps each log-ratio x = log π − log π_ref to
/// the score the loss compares, TRL's <c>f_divergence_type</c>. Reverse KL (the identity) gives standard DPO.
/// </summary>
/// <remarks>
/// A score strategy belongs to the loss that uses it (<see cref="ScoredPreferenceLoss"/>); its own parameter,
/// such as the α of <see cref="AlphaDivergenceScore"/>, lives on the strategy.
/// </remarks>
public interface IDivergenceScore
{
    /// <summary>TRL's name of the divergence (<c>reverse_kl</c>, <c>forward_kl</c>, <c>js_divergence</c>, <c>alpha_divergence</c>).</summary>
    string Name { get; }

    /// <summary>The scores of the log-ratios, in their dtype.</summary>
    /// <param name="logRatios">log π − log π_ref, <c>[B]</c>.</param>
    /// <returns>A tensor of the same shape and dtype; it may be <paramref name="logRatios"/> itself.</returns>
    Tensor Score(Tensor logRatios);
}
