using System.Text.Json;
using Xunit.Abstractions;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Metrics;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>The fixture's <c>float32</c> section: the sigmoid cases evaluated in float32.</summary>
public sealed class Float32FixtureTests(ITestOutputHelper output)
{
    // The README's suggested tolerance against the float64 cases: 1e-4 absolute together with 1e-5 relative
    // (its measured worst case is 1.5e-6 on the loss, 1.8e-5 per pair and 2.6e-5 on rewards, all absolute).
    private const double AgainstFloat64Abs = 1e-4;
    private const double AgainstFloat64Rel = 1e-5;

    // Against torch's own float32 results the only freedom is the order of float32 operations inside libtorch.
    private const double AgainstTorchFloat32Rel = 1e-6;
    private const double AgainstTorchFloat32Abs = 1e-30;

    public static TheoryData<string> Cases => DpoFixture.Ids(DpoFixture.Float32Cases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32_sigmoid_matches_torch_float32_and_the_float64_case(string id)
    {
        JsonElement c = DpoFixture.Find(DpoFixture.Float32Cases, id);
        JsonElement float64Case = DpoFixture.Find(DpoFixture.CurrentCases, c.GetProperty("float64_case_id").GetString()!);
        var loss = new SigmoidLoss(c.GetProperty("params").GetProperty("beta").GetDouble());
        using var batch = FixtureBatch.From(c.GetProperty("inputs_float32"), ScalarType.Float32);

        using PreferenceLossOutput result = loss.Compute(batch.Inputs);
        var metrics = DpoRewardMetrics.Compute(result, batch.Inputs);

        Assert.Equal(ScalarType.Float32, result.Losses.dtype);
        Assert.Equal(ScalarType.Float32, result.ChosenRewards.dtype);
        Assert.Equal(ScalarType.Float32, result.RejectedRewards.dtype);
        double[] losses = Approx.Values(result.Losses);
        double[] chosen = Approx.Values(result.ChosenRewards);
        double[] rejected = Approx.Values(result.RejectedRewards);
        double batchLoss = Approx.Mean(result.Losses);

        JsonElement torch32 = c.GetProperty("outputs_float32");
        double vsTorch = Approx.Mixed(DpoFixture.Doubles(torch32.GetProperty("per_example_losses")), losses, AgainstTorchFloat32Abs, AgainstTorchFloat32Rel, "float32 per-pair");
        vsTorch = Math.Max(vsTorch, Approx.Mixed([torch32.GetProperty("loss").GetDouble()], [batchLoss], AgainstTorchFloat32Abs, AgainstTorchFloat32Rel, "float32 loss"));
        vsTorch = Math.Max(vsTorch, Approx.Mixed(DpoFixture.Doubles(torch32.GetProperty("chosen_rewards")), chosen, AgainstTorchFloat32Abs, AgainstTorchFloat32Rel, "float32 chosen rewards"));
        vsTorch = Math.Max(vsTorch, Approx.Mixed(DpoFixture.Doubles(torch32.GetProperty("rejected_rewards")), rejected, AgainstTorchFloat32Abs, AgainstTorchFloat32Rel, "float32 rejected rewards"));
        foreach (var (key, value) in metrics)
        {
            vsTorch = Math.Max(vsTorch, Approx.Mixed([torch32.GetProperty("metrics").GetProperty(key).GetDouble()], [value], AgainstTorchFloat32Abs, AgainstTorchFloat32Rel, key));
        }

        JsonElement f64 = float64Case.GetProperty("outputs");
        double vsFloat64 = Approx.Mixed(DpoFixture.Doubles(f64.GetProperty("per_example_losses")), losses, AgainstFloat64Abs, AgainstFloat64Rel, "per-pair vs float64");
        vsFloat64 = Math.Max(vsFloat64, Approx.Mixed([f64.GetProperty("loss").GetDouble()], [batchLoss], AgainstFloat64Abs, AgainstFloat64Rel, "loss vs float64"));
        vsFloat64 = Math.Max(vsFloat64, Approx.Mixed(DpoFixture.Doubles(f64.GetProperty("chosen_rewards")), chosen, AgainstFloat64Abs, AgainstFloat64Rel, "chosen rewards vs float64"));
        vsFloat64 = Math.Max(vsFloat64, Approx.Mixed(DpoFixture.Doubles(f64.GetProperty("rejected_rewards")), rejected, AgainstFloat64Abs, AgainstFloat64Rel, "rejected rewards vs float64"));
        foreach (var (key, value) in metrics)
        {
            vsFloat64 = Math.Max(vsFloat64, Approx.Mixed([f64.GetProperty("metrics").GetProperty(key).GetDouble()], [value], AgainstFloat64Abs, AgainstFloat64Rel, key + " vs float64"));
        }

        output.WriteLine($"max abs difference vs torch float32 {vsTorch:E3}, vs float64 case {vsFloat64:E3}");
    }
}
