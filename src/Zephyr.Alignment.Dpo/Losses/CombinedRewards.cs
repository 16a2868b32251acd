namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>Which rewards a <see cref="CombinedLoss"/> reports.</summary>
public enum CombinedRewards
{
    /// <summary>
    /// The first term's rewards, unweighted: current TRL computes β·(log π − log π_ref) once per batch whatever the
    /// loss types and weights, and its terms share one β.
    /// </summary>
    FirstTerm,

    /// <summary>
    /// Legacy (TRL ≤ 0.28): the weighted sum Σ w_k·rewards_k, so that with default weights two loss types double
    /// the reported rewards.
    /// </summary>
    WeightedSum,
}
