using Zephyr.Alignment.Training;
using System.Text.Json;
using Xunit.Abstractions;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Metrics;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>Every float64 case of current TRL (1.9) in the fixture: single losses, combinations and f-divergences.</summary>
public sealed class CurrentLossFixtureTests(ITestOutputHelper output)
{
    /// <summary>The bar for float64; the README says 1e-12 is achievable, the measured worst is reported in the output.</summary>
    internal const double Float64Relative = 1e-9;

    public static TheoryData<string> Cases => DpoFixture.Ids(DpoFixture.CurrentCases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Losses_rewards_and_metrics_match_the_fixture(string id)
    {
        JsonElement c = DpoFixture.Find(DpoFixture.CurrentCases, id);
        JsonElement expected = c.GetProperty("outputs");
        ILossFunction loss = DpoFixture.CurrentLoss(c);
        using var batch = FixtureBatch.From(c.GetProperty("inputs"));

        using PreferenceLossOutput result = loss.Compute(batch.Inputs);

        Assert.Equal(string.Join("+", DpoFixture.Strings(c.GetProperty("loss_type"))), loss.Name);
        double worst = Approx.Relative(DpoFixture.Doubles(expected.GetProperty("per_example_losses")), Approx.Values(result.Losses), Float64Relative, "per_example_losses");
        worst = Math.Max(worst, Approx.Relative([expected.GetProperty("loss").GetDouble()], [Approx.Mean(result.Losses)], Float64Relative, "loss"));
        worst = Math.Max(worst, Approx.Relative(DpoFixture.Doubles(expected.GetProperty("chosen_rewards")), Approx.Values(result.ChosenRewards), Float64Relative, "chosen_rewards"));
        worst = Math.Max(worst, Approx.Relative(DpoFixture.Doubles(expected.GetProperty("rejected_rewards")), Approx.Values(result.RejectedRewards), Float64Relative, "rejected_rewards"));
        worst = Math.Max(worst, MetricsMatch(expected.GetProperty("metrics"), DpoRewardMetrics.Compute(result, batch.Inputs)));
        output.WriteLine($"max relative difference {worst:E3}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_component_matches_the_fixture_on_its_own(string id)
    {
        JsonElement c = DpoFixture.Find(DpoFixture.CurrentCases, id);
        JsonElement p = c.GetProperty("params");
        using var batch = FixtureBatch.From(c.GetProperty("inputs"));
        double worst = 0;
        foreach (JsonElement component in c.GetProperty("outputs").GetProperty("components").EnumerateArray())
        {
            string type = component.GetProperty("loss_type").GetString()!;
            ILossFunction loss = DpoLosses.Create(
                type, p.GetProperty("beta").GetDouble(), p.GetProperty("label_smoothing").GetDouble(), p.GetProperty("discopop_tau").GetDouble(),
                DivergenceScores.Create(p.GetProperty("f_divergence_type").GetString()!, p.GetProperty("f_alpha_divergence_coef").GetDouble()));
            using PreferenceLossOutput result = loss.Compute(batch.Inputs);
            Assert.Equal(type, loss.Name);
            worst = Math.Max(worst, Approx.Relative(DpoFixture.Doubles(component.GetProperty("per_example_losses")), Approx.Values(result.Losses), Float64Relative, type));
            worst = Math.Max(worst, Approx.Relative([component.GetProperty("mean_loss").GetDouble()], [Approx.Mean(result.Losses)], Float64Relative, type + " mean"));
        }

        output.WriteLine($"max relative difference {worst:E3}");
    }

    /// <summary>Compares every metric the helper produces with the fixture's; accuracies exactly, the rest relatively.</summary>
    internal static double MetricsMatch(JsonElement expected, IReadOnlyDictionary<string, double> actual)
    {
        string[] ours =
        [
            MetricNames.RewardsChosen, MetricNames.RewardsRejected, MetricNames.RewardsAccuracies,
            MetricNames.RewardsMargins, MetricNames.LogpsChosen, MetricNames.LogpsRejected,
        ];
        Assert.Equal(ours, actual.Keys);
        double worst = 0;
        foreach (string key in ours)
        {
            double want = expected.GetProperty(key).GetDouble();
            if (key == MetricNames.RewardsAccuracies)
            {
                Assert.Equal(want, actual[key]);
            }
            else
            {
                worst = Math.Max(worst, Approx.Relative([want], [actual[key]], Float64Relative, key));
            }
        }

        return worst;
    }
}
