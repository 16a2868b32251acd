using System.Diagnostics;
using TorchSharp;
using Xunit.Abstractions;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Models;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>Every step runs in dispose scopes: the live tensor count stays flat over a long run and nothing is left after it.</summary>
[Collection(MemorySensitiveCollection.Name)]
public sealed class TrainingMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_hundred_steps_keep_the_live_tensor_count_flat_and_release_everything()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1);
        TrainingOptions options = TinyTraining.Options(folder.Path);
        options.MaxSteps = 200;
        options.GradientAccumulationSteps = 2;
        options.LoggingSteps = 10;
        options.EvalSteps = 50;
        options.SaveSteps = 100;
        var liveCounts = new Dictionary<long, long>();
        long residentAt20 = 0;
        var callback = new RecordingCallback
        {
            AfterStep = p =>
            {
                liveCounts[p.GlobalStep] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                if (p.GlobalStep == 20)
                {
                    residentAt20 = ResidentBytes();
                }
            },
        };
        var loop = new TrainingLoop<Tensor>(
            model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(16)), options, new TokenRows(TinyTraining.Corpus(5, seed: 3)), [callback]);

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        loop.Run();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long residentAt200 = ResidentBytes();

        output.WriteLine($"live tensors: before {before}, step 1 {liveCounts[1]}, step 20 {liveCounts[20]}, step 200 {liveCounts[200]}, after {after}; " +
            $"resident {residentAt20 / 1e6:F1} MB -> {residentAt200 / 1e6:F1} MB");
        Assert.Equal(liveCounts[20], liveCounts[200]);
        Assert.All(liveCounts.Where(c => c.Key >= 2), c => Assert.Equal(liveCounts[2], c.Value));
        Assert.Equal(before, after);

        // A leaked activation set would cost far more than this over 180 steps.
        Assert.True(residentAt200 - residentAt20 < 100_000_000, $"resident memory grew by {(residentAt200 - residentAt20) / 1e6:F1} MB");
    }

    private static long ResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
