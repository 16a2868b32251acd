using TorchSharp;
using Xunit.Abstractions;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

/// <summary>The objective, the live reference and the precomputed path leave no tensor behind per step.</summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class DpoMemoryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_live_tensor_count_stays_flat_over_sixty_steps(bool precompute)
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policy = SyntheticPreferences.Model(attentionDropout: 0.1);
        DpoOptions options = SyntheticPreferences.Options(folder.Path);
        options.MaxSteps = 60;
        options.LoggingSteps = 10;
        options.EvalSteps = 20;
        options.PrecomputeRefLogProbs = precompute;
        var liveCounts = new Dictionary<long, long>();
        var callback = new RecordingCallback(p => liveCounts[p.GlobalStep] = DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        using var trainer = new DpoTrainer(
            policy, SyntheticPreferences.Model(attentionDropout: 0.1), SyntheticPreferences.Dataset(SyntheticPreferences.RaggedPairs(24, seed: 1)),
            options, SyntheticPreferences.Dataset(SyntheticPreferences.RaggedPairs(6, seed: 2)), callbacks: [callback]);

        await trainer.TrainAsync();

        output.WriteLine($"live tensors: step 1 {liveCounts[1]}, step 2 {liveCounts[2]}, step 60 {liveCounts[60]}");
        Assert.All(liveCounts.Where(c => c.Key >= 2), c => Assert.Equal(liveCounts[2], c.Value));
    }
}
