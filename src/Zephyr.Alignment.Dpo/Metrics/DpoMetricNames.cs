namespace Zephyr.Alignment.Dpo.Metrics;

/// <summary>The DPO metric keys, spelled as TRL logs them so that TRL users' dashboards carry over.</summary>
public static class DpoMetricNames
{
    /// <summary><c>rewards/chosen</c>: the batch mean of β·(log π − log π_ref) of the chosen answers.</summary>
    public const string RewardsChosen = "rewards/chosen";

    /// <summary><c>rewards/rejected</c>: the batch mean of the rejected answers' rewards.</summary>
    public const string RewardsRejected = "rewards/rejected";

    /// <summary><c>rewards/accuracies</c>: the fraction of pairs whose chosen reward is strictly greater (ties count 0).</summary>
    public const string RewardsAccuracies = "rewards/accuracies";

    /// <summary><c>rewards/margins</c>: the batch mean of chosen minus rejected reward.</summary>
    public const string RewardsMargins = "rewards/margins";

    /// <summary><c>logps/chosen</c>: the batch mean of the policy's chosen log-probs.</summary>
    public const string LogpsChosen = "logps/chosen";

    /// <summary><c>logps/rejected</c>: the batch mean of the policy's rejected log-probs.</summary>
    public const string LogpsRejected = "logps/rejected";
}
