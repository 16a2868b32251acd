using Zephyr.Alignment.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Metrics;

/// <summary>
/// The reward and log-prob metrics of one step, computed apart from the loss from its output and inputs, with TRL's
/// reductions: means in the tensors' dtype, and the accuracy as the float32 mean of a strict comparison
/// (<c>(chosen &gt; rejected).float().mean()</c>), so that 2 of 3 is logged as 0.6666666865.
/// </summary>
public static class DpoRewardMetrics
{
    /// <summary>Computes the metrics of one step.</summary>
    /// <param name="output">The loss output (its rewards are read).</param>
    /// <param name="inputs">The loss inputs (the policy log-probs are read).</param>
    /// <returns>The values by <see cref="MetricNames"/> key, in TRL's order.</returns>
    /// <exception cref="ArgumentException">The rewards and log-probs are not <c>[B]</c> tensors of one length.</exception>
    public static IReadOnlyDictionary<string, double> Compute(PreferenceLossOutput output, PreferenceLossInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(output.ChosenRewards);
        ArgumentNullException.ThrowIfNull(output.RejectedRewards);
        ArgumentNullException.ThrowIfNull(inputs.PolicyChosenLogps);
        ArgumentNullException.ThrowIfNull(inputs.PolicyRejectedLogps);
        long[] shape = output.ChosenRewards.shape;
        if (shape.Length != 1
            || !output.RejectedRewards.shape.SequenceEqual(shape)
            || !inputs.PolicyChosenLogps.shape.SequenceEqual(shape)
            || !inputs.PolicyRejectedLogps.shape.SequenceEqual(shape))
        {
            throw new ArgumentException(
                $"Rewards and policy log-probs must be [B] tensors of one length; got rewards [{string.Join(", ", shape)}] / [{string.Join(", ", output.RejectedRewards.shape)}], "
                + $"log-probs [{string.Join(", ", inputs.PolicyChosenLogps.shape)}] / [{string.Join(", ", inputs.PolicyRejectedLogps.shape)}].",
                nameof(output));
        }

        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();
        Tensor chosen = output.ChosenRewards.detach();
        Tensor rejected = output.RejectedRewards.detach();
        return new Dictionary<string, double>
        {
            [MetricNames.RewardsChosen] = Mean(chosen),
            [MetricNames.RewardsRejected] = Mean(rejected),
            // TRL compares strictly and averages in float32, so ties count as wrong and fractions carry float32 rounding.
            [MetricNames.RewardsAccuracies] = chosen.gt(rejected).to_type(ScalarType.Float32).mean().item<float>(),
            [MetricNames.RewardsMargins] = Mean(chosen - rejected),
            [MetricNames.LogpsChosen] = Mean(inputs.PolicyChosenLogps.detach()),
            [MetricNames.LogpsRejected] = Mean(inputs.PolicyRejectedLogps.detach()),
        };
    }

    // The mean is taken in the tensor's own dtype, as TRL does, then widened exactly for logging.
    private static double Mean(Tensor values) => values.mean().to_type(ScalarType.Float64).item<double>();
}
