using System.Text.Json;
using Xunit.Abstractions;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Losses.Legacy;
using Zephyr.Alignment.Dpo.Metrics;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>Every case of the fixture's <c>legacy_v0_28</c> section (TRL 0.28, the Zephyr-era releases), in float64.</summary>
public sealed class LegacyLossFixtureTests(ITestOutputHelper output)
{
    private const double Relative = CurrentLossFixtureTests.Float64Relative;

    public static TheoryData<string> Cases => DpoFixture.Ids(DpoFixture.LegacyCases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Losses_rewards_and_metrics_match_the_fixture(string id)
    {
        JsonElement c = DpoFixture.Find(DpoFixture.LegacyCases, id);
        JsonElement expected = c.GetProperty("outputs");
        string[] types = DpoFixture.Strings(c.GetProperty("loss_type"));
        ILossFunction loss = DpoFixture.LegacyLoss(c);
        using var batch = FixtureBatch.From(c.GetProperty("inputs"));

        using PreferenceLossOutput result = loss.Compute(batch.Inputs);

        double worst = Approx.Relative(DpoFixture.Doubles(expected.GetProperty("per_example_losses")), Approx.Values(result.Losses), Relative, "per_example_losses");
        worst = Math.Max(worst, Approx.Relative([expected.GetProperty("loss").GetDouble()], [Approx.Mean(result.Losses)], Relative, "loss"));
        worst = Math.Max(worst, Approx.Relative(DpoFixture.Doubles(expected.GetProperty("chosen_rewards")), Approx.Values(result.ChosenRewards), Relative, "chosen_rewards"));
        worst = Math.Max(worst, Approx.Relative(DpoFixture.Doubles(expected.GetProperty("rejected_rewards")), Approx.Values(result.RejectedRewards), Relative, "rejected_rewards"));

        // TRL 0.28 logged per-token logps/* for ipo: the metrics read the inputs LegacyIpoLoss.ToPerToken gives.
        bool perToken = types.Contains(DpoLossNames.Ipo);
        PreferenceLossInputs metricInputs = perToken ? LegacyIpoLoss.ToPerToken(batch.Inputs) : batch.Inputs;
        try
        {
            worst = Math.Max(worst, CurrentLossFixtureTests.MetricsMatch(expected.GetProperty("metrics"), DpoRewardMetrics.Compute(result, metricInputs)));
        }
        finally
        {
            if (perToken)
            {
                metricInputs.PolicyChosenLogps.Dispose();
                metricInputs.PolicyRejectedLogps.Dispose();
                metricInputs.ReferenceChosenLogps.Dispose();
                metricInputs.ReferenceRejectedLogps.Dispose();
            }
        }

        output.WriteLine($"max relative difference {worst:E3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stateful_and_substituted_parameters_match_the_fixture(string id)
    {
        JsonElement c = DpoFixture.Find(DpoFixture.LegacyCases, id);
        ILossFunction loss = DpoFixture.LegacyLoss(c);
        using var batch = FixtureBatch.From(c.GetProperty("inputs"));
        var terms = loss is CombinedLoss combined ? combined.Terms.Select(t => t.Loss).ToList() : [loss];
        using PreferenceLossOutput result = loss.Compute(batch.Inputs);

        int checkedTerms = 0;
        foreach (JsonElement component in c.GetProperty("outputs").GetProperty("components").EnumerateArray())
        {
            if (!component.TryGetProperty("intermediates", out JsonElement intermediates))
            {
                continue;
            }

            string type = component.GetProperty("loss_type").GetString()!;
            if (type == DpoLossNames.BcoPair)
            {
                var bco = Assert.Single(terms.OfType<LegacyBcoPairLoss>());
                Assert.Equal(intermediates.GetProperty("delta_used").GetDouble(), bco.RunningMean, 1e-15);
                JsonElement after = intermediates.GetProperty("running_state_after");
                Assert.Equal(after.GetProperty("mean").GetDouble(), bco.RunningMean);
                Assert.Equal(after.GetProperty("count").GetDouble(), bco.RunningCount);
                Approx.Relative([after.GetProperty("var").GetDouble()], [bco.RunningVariance], 1e-12, "running var");
                checkedTerms++;
            }
            else if (type == DpoLossNames.ExoPair)
            {
                var exo = Assert.Single(terms.OfType<LegacyExoPairLoss>());
                Assert.Equal(intermediates.GetProperty("label_smoothing_used").GetDouble(), exo.Epsilon);
                checkedTerms++;
            }
        }

        bool hasState = DpoFixture.Strings(c.GetProperty("loss_type")).Any(t => t is DpoLossNames.BcoPair or DpoLossNames.ExoPair);
        Assert.Equal(hasState, checkedTerms > 0);
    }

    [Fact]
    public void The_bco_pair_running_mean_follows_the_three_step_sequence()
    {
        var loss = new LegacyBcoPairLoss(beta: 0.1);
        double worst = 0;
        foreach (JsonElement step in DpoFixture.BcoSequence)
        {
            JsonElement expected = step.GetProperty("outputs");
            JsonElement intermediates = expected.GetProperty("components")[0].GetProperty("intermediates");
            JsonElement before = intermediates.GetProperty("running_state_before");
            Assert.Equal(before.GetProperty("mean").GetDouble(), loss.RunningMean);
            Assert.Equal(before.GetProperty("count").GetDouble(), loss.RunningCount);
            Approx.Relative([before.GetProperty("var").GetDouble()], [loss.RunningVariance], 1e-12, "var before");
            using var batch = FixtureBatch.From(step.GetProperty("inputs"));

            using PreferenceLossOutput result = loss.Compute(batch.Inputs);

            JsonElement after = intermediates.GetProperty("running_state_after");
            Assert.Equal(after.GetProperty("mean").GetDouble(), loss.RunningMean);
            Assert.Equal(intermediates.GetProperty("delta_used").GetDouble(), loss.RunningMean);
            Assert.Equal(after.GetProperty("count").GetDouble(), loss.RunningCount);
            Approx.Relative([after.GetProperty("var").GetDouble()], [loss.RunningVariance], 1e-12, "var after");
            worst = Math.Max(worst, Approx.Relative(DpoFixture.Doubles(expected.GetProperty("per_example_losses")), Approx.Values(result.Losses), Relative, DpoFixture.Id(step)));
            worst = Math.Max(worst, CurrentLossFixtureTests.MetricsMatch(expected.GetProperty("metrics"), DpoRewardMetrics.Compute(result, batch.Inputs)));
        }

        output.WriteLine($"max relative difference {worst:E3}");
    }

    [Fact]
    public void Reset_returns_the_bco_pair_running_moments_to_their_start()
    {
        var loss = new LegacyBcoPairLoss(beta: 0.1);
        JsonElement first = DpoFixture.BcoSequence.First();
        using var batch = FixtureBatch.From(first.GetProperty("inputs"));
        using (PreferenceLossOutput warmup = loss.Compute(batch.Inputs))
        {
            Assert.NotEqual(0.0, loss.RunningMean);
        }

        loss.Reset();

        Assert.Equal((0.0, 1.0, 1e-24), (loss.RunningMean, loss.RunningVariance, loss.RunningCount));
        using PreferenceLossOutput again = loss.Compute(batch.Inputs);
        Approx.Relative(DpoFixture.Doubles(first.GetProperty("outputs").GetProperty("per_example_losses")), Approx.Values(again.Losses), Relative, "after reset");
    }
}
