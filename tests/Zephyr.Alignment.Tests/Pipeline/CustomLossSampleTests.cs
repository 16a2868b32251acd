using Zephyr.Alignment.CustomLossSample;
using Zephyr.Alignment.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Pipeline;

public sealed class CustomLossSampleTests
{
    [Fact]
    public void The_sample_trains_dpo_with_its_own_loss_and_widens_the_held_out_reward_margin()
    {
        using var folder = new TempDirectory();

        var (exitCode, stdout, stderr) = PipelineProcess.RunAssembly("CustomLossSampleAssembly", folder.File("out"));

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("loss margin_sigmoid", stdout);
        Assert.True(File.Exists(folder.File(Path.Combine("out", "model.safetensors"))));
    }

    [Fact]
    public void The_margin_loss_is_dpo_shifted_by_the_margin_and_plain_dpo_at_zero()
    {
        using var scope = NewDisposeScope();
        var inputs = new PreferenceLossInputs
        {
            PolicyChosenLogps = tensor(new[] { -1.0f, -2.0f }),
            PolicyRejectedLogps = tensor(new[] { -3.0f, -1.0f }),
            ReferenceChosenLogps = tensor(new[] { -2.0f, -2.0f }),
            ReferenceRejectedLogps = tensor(new[] { -2.0f, -2.0f }),
        };

        using PreferenceLossOutput margin = new MarginSigmoidLoss(beta: 0.5, margin: 0.25).Compute(inputs);

        // Δ = (1 − (−1), 0 − 1) = (2, −1); ℓ = −log σ(0.5·Δ − 0.25).
        float[] expected = [.. new[] { 2.0, -1.0 }.Select(d => (float)-Math.Log(1 / (1 + Math.Exp(-(0.5 * d - 0.25)))))];
        Assert.Equal(expected, margin.Losses.data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal([0.5f, 0f], margin.ChosenRewards.data<float>().ToArray());
        Assert.False(margin.ChosenRewards.requires_grad);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MarginSigmoidLoss(beta: 0.1, margin: -1));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
