namespace Zephyr.Alignment.Training;

/// <summary>
/// Metric keys, spelled as TRL and Hugging Face's <c>Trainer</c> log them so that TRL users' dashboards carry over.
/// The loop adds <see cref="Loss"/>, <see cref="GradNorm"/>, <see cref="LearningRate"/> and <see cref="Epoch"/>;
/// objectives add the others.
/// </summary>
public static class MetricNames
{
    /// <summary>Prefix of every evaluation metric (<c>eval_loss</c>, <c>eval_rewards/accuracies</c>).</summary>
    public const string EvalPrefix = "eval_";

    /// <summary><c>loss</c>: the mean training loss of the optimizer steps since the last log.</summary>
    public const string Loss = "loss";

    /// <summary><c>grad_norm</c>: the global L2 norm of the gradients of the last step, before clipping.</summary>
    public const string GradNorm = "grad_norm";

    /// <summary><c>learning_rate</c>: the learning rate the last optimizer step used.</summary>
    public const string LearningRate = "learning_rate";

    /// <summary><c>epoch</c>: epochs completed, fractional.</summary>
    public const string Epoch = "epoch";

    /// <summary><c>rewards/chosen</c>: DPO, the mean of β·(log π − log π_ref) over chosen answers.</summary>
    public const string RewardsChosen = "rewards/chosen";

    /// <summary><c>rewards/rejected</c>: DPO, the mean reward of rejected answers.</summary>
    public const string RewardsRejected = "rewards/rejected";

    /// <summary><c>rewards/accuracies</c>: DPO, the fraction of pairs whose chosen reward is the greater.</summary>
    public const string RewardsAccuracies = "rewards/accuracies";

    /// <summary><c>rewards/margins</c>: DPO, the mean of chosen minus rejected reward.</summary>
    public const string RewardsMargins = "rewards/margins";

    /// <summary><c>logps/chosen</c>: DPO, the mean policy log-prob of chosen answers.</summary>
    public const string LogpsChosen = "logps/chosen";

    /// <summary><c>logps/rejected</c>: DPO, the mean policy log-prob of rejected answers.</summary>
    public const string LogpsRejected = "logps/rejected";

    /// <summary><c>logits/chosen</c>: DPO, the mean logit over chosen completion tokens.</summary>
    public const string LogitsChosen = "logits/chosen";

    /// <summary><c>logits/rejected</c>: DPO, the mean logit over rejected completion tokens.</summary>
    public const string LogitsRejected = "logits/rejected";

    /// <summary><c>entropy</c>: the mean entropy of the next-token distribution over loss tokens.</summary>
    public const string Entropy = "entropy";

    /// <summary><c>num_tokens</c>: tokens seen so far in training (a running total).</summary>
    public const string NumTokens = "num_tokens";

    /// <summary><c>mean_token_accuracy</c>: SFT, the fraction of loss tokens whose argmax is the label (token-weighted).</summary>
    public const string MeanTokenAccuracy = "mean_token_accuracy";

    /// <summary>The evaluation name of <paramref name="name"/>: <c>eval_</c> + name.</summary>
    /// <param name="name">A metric key.</param>
    public static string Eval(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return EvalPrefix + name;
    }
}
