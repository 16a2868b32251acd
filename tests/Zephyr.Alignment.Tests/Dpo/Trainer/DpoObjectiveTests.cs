using System.Text.Json;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Scoring;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

/// <summary>The objective from logits against the fixture's <c>token_level</c> cases (TRL's <c>_compute_loss</c> from logits).</summary>
public sealed class DpoObjectiveTests
{
    private const double Relative = 1e-12;

    public static TheoryData<string> Cases => DpoFixture.Ids(DpoFixture.TokenLevelCases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_and_every_metric_match_the_fixture(string id)
    {
        TorchRuntime.EnsureInitialized();
        JsonElement c = DpoFixture.Find(DpoFixture.TokenLevelCases, id);
        JsonElement inputs = c.GetProperty("inputs");
        JsonElement expected = c.GetProperty("outputs");
        double beta = c.GetProperty("params").GetProperty("beta").GetDouble();
        using var scope = NewDisposeScope();
        Tensor ids = DpoFixture.Nested(inputs.GetProperty("input_ids"), ScalarType.Int64);
        Tensor attention = DpoFixture.Nested(inputs.GetProperty("attention_mask"), ScalarType.Int64);
        Tensor completion = DpoFixture.Nested(inputs.GetProperty("completion_mask"), ScalarType.Int64);
        Tensor policyLogits = DpoFixture.Nested(inputs.GetProperty("policy_logits"), ScalarType.Float64);
        Tensor[] reference = TokenLogProbs.ForCompletions(DpoFixture.Nested(inputs.GetProperty("ref_logits"), ScalarType.Float64), ids, completion).Sum.chunk(2);

        ObjectiveOutput result = DpoObjective.FromLogits(policyLogits, ids, attention, completion, reference[0], reference[1], DpoLosses.Create("sigmoid", beta));

        double loss = expected.GetProperty("losses").GetProperty("sigmoid").GetProperty("loss").GetDouble();
        Approx.Relative([loss], [result.Loss.item<double>()], Relative, "loss");
        JsonElement metrics = expected.GetProperty("metrics");
        string[] keys =
        [
            MetricNames.RewardsChosen, MetricNames.RewardsRejected, MetricNames.RewardsAccuracies, MetricNames.RewardsMargins,
            MetricNames.LogpsChosen, MetricNames.LogpsRejected, MetricNames.LogitsChosen, MetricNames.LogitsRejected,
            MetricNames.Entropy, MetricNames.MeanTokenAccuracy,
        ];
        Assert.Equal(keys.Order(), result.Metrics.Keys.Order());
        foreach (string key in keys)
        {
            Approx.Relative([metrics.GetProperty(key).GetDouble()], [result.Metrics[key]], Relative, key);
        }

        Assert.Equal(metrics.GetProperty(MetricNames.NumTokens).GetDouble(), result.Counts![MetricNames.NumTokens]);
        Assert.Equal(1.0, result.Weight);
    }

    [Fact]
    public void Batches_without_reference_log_probs_need_a_live_reference()
    {
        using var policy = SyntheticPreferences.Model();
        using var batch = SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(2, seed: 1)).Collate([0, 1]);
        var objective = new DpoObjective(DpoLosses.Create("sigmoid", 0.1));

        var error = Assert.Throws<InvalidOperationException>(() => objective.ComputeLoss(policy, batch, training: false));
        Assert.Contains("no live reference", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loss_is_differentiable_with_respect_to_the_policy()
    {
        using var policy = SyntheticPreferences.Model();
        using var scope = NewDisposeScope();
        var data = SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(3, seed: 2));
        using var precomputed = new DpoBatch(
            data.Collator.Collate([.. data.Examples]), tensor(new float[] { -5, -6, -7 }), tensor(new float[] { -5, -6, -7 }));
        var objective = new DpoObjective(DpoLosses.Create("sigmoid", 0.1));

        ObjectiveOutput result = objective.ComputeLoss(policy, precomputed, training: true);
        result.Loss.backward();

        Assert.True(result.Loss.requires_grad);
        Assert.All(policy.NamedTrainableParameters(), p => Assert.NotNull(p.Parameter.grad));
    }
}
