using Zephyr.Alignment.Training;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Metrics;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>The metric helper's reductions beyond the fixture's batches of eight.</summary>
public sealed class RewardMetricsTests
{
    [Fact]
    public void Accuracy_is_a_strict_comparison_averaged_in_float32()
    {
        using var batch = new OwnedBatch([-10.0, -20.0, -30.0], [-12.0, -18.0, -30.0]);
        using PreferenceLossOutput output = new SigmoidLoss(1.0).Compute(batch.Inputs);

        var metrics = DpoRewardMetrics.Compute(output, batch.Inputs);

        // β = 1 and a zero reference make the rewards the log-probs: pair 0 right, pair 1 wrong, pair 2 a tie (counts 0).
        Assert.Equal((double)(1f / 3f), metrics[MetricNames.RewardsAccuracies]);
        Assert.Equal(-20.0, metrics[MetricNames.RewardsChosen], 12);
        Assert.Equal(-20.0, metrics[MetricNames.RewardsRejected], 12);
        Assert.Equal(0.0, metrics[MetricNames.RewardsMargins], 12);
        Assert.Equal(-20.0, metrics[MetricNames.LogpsChosen], 12);
    }

    [Fact]
    public void Two_of_three_is_logged_with_float32_rounding()
    {
        using var batch = new OwnedBatch([-1.0, -1.0, -5.0], [-2.0, -3.0, -4.0]);
        using PreferenceLossOutput output = new SigmoidLoss(0.1).Compute(batch.Inputs);

        Assert.Equal(0.6666666865348816, DpoRewardMetrics.Compute(output, batch.Inputs)[MetricNames.RewardsAccuracies]);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        using var batch = new OwnedBatch([-1.0, -2.0], [-3.0, -4.0]);
        using var three = zeros(3, dtype: ScalarType.Float64);
        using var output = new PreferenceLossOutput(three.clone(), three.clone(), three.clone());

        Assert.Throws<ArgumentException>(() => DpoRewardMetrics.Compute(output, batch.Inputs));
    }

    private sealed class OwnedBatch : IDisposable
    {
        private readonly Tensor[] tensors;

        public OwnedBatch(double[] policyChosen, double[] policyRejected)
        {
            Zephyr.Alignment.Runtime.TorchRuntime.EnsureInitialized();
            tensors = [tensor(policyChosen), tensor(policyRejected), zeros(policyChosen.Length, dtype: ScalarType.Float64), zeros(policyChosen.Length, dtype: ScalarType.Float64)];
            Inputs = new PreferenceLossInputs
            {
                PolicyChosenLogps = tensors[0],
                PolicyRejectedLogps = tensors[1],
                ReferenceChosenLogps = tensors[2],
                ReferenceRejectedLogps = tensors[3],
            };
        }

        public PreferenceLossInputs Inputs { get; }

        public void Dispose()
        {
            foreach (Tensor t in tensors)
            {
                t.Dispose();
            }
        }
    }
}
