using System.Diagnostics;
using TorchSharp;
using Xunit.Abstractions;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>Generation disposes every step's tensors and its cache, so repeated calls keep memory flat.</summary>
[Collection(MemorySensitiveCollection.Name)]
public sealed class GenerationMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Fifty_generations_leave_no_tensor_behind_and_keep_memory_flat()
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        var generator = new TokenGenerator(model);
        IReadOnlyList<int>[] prompts = GenerationFixtures.MixedPrompts("tiny-mistral");

        // Every feature that allocates state: a batch, the cache, sampling with all processors, the seen-id mask.
        var options = new GenerationOptions { MaxNewTokens = 48, EosTokenIds = [], Temperature = 0.9, TopK = 50, TopP = 0.9, RepetitionPenalty = 1.2 };
        void Run(int i)
        {
            options.Seed = i;
            IReadOnlyList<GenerationResult> results = generator.GenerateBatch(prompts, options);
            Assert.All(results, r => Assert.Equal(48, r.TokenIds.Count));
        }

        for (int i = 0; i < 3; i++)
        {
            Run(i);
        }

        long tensorsBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long memoryBefore = ResidentBytes();
        for (int i = 0; i < 50; i++)
        {
            Run(i);
            Assert.Equal(tensorsBefore, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }

        long memoryAfter = ResidentBytes();
        output.WriteLine($"live tensors {tensorsBefore} -> {DisposeScopeManager.Statistics.ThreadTotalLiveCount}; resident memory {memoryBefore / 1e6:F1} MB -> {memoryAfter / 1e6:F1} MB");

        // 50 generations of 3 x 48 tokens run about 7,000 forward steps; leaking even one small tensor per step (or a cache
        // per generation) would show here as well as in the count above.
        Assert.True(memoryAfter - memoryBefore < 100_000_000, $"resident memory grew by {(memoryAfter - memoryBefore) / 1e6:F1} MB");
    }

    [Fact]
    public void Generations_that_recompute_are_cancelled_or_fail_halfway_leave_no_tensor_behind()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        int[] prompt = GenerationFixtures.GreedyItems("tiny-llama")[1].PromptIds;
        var failing = new DecodeHookTokenizer(
            HuggingFaceTokenizer.FromFolder(ModelFixtures.PathOf("tiny-llama")),
            count => throw new InvalidOperationException($"decode {count} failed"));
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        new TokenGenerator(model).Generate(prompt, new GenerationOptions { MaxNewTokens = 8, UseCache = false });
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        new TokenGenerator(model).Generate(prompt, new GenerationOptions(), new CancellationToken(canceled: true));
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);

        // The first step's stop-string check throws after the cache, mask and sampler state exist.
        model.train();
        var options = new GenerationOptions { MaxNewTokens = 8, StopStrings = ["x"], RepetitionPenalty = 1.1 };
        Assert.Throws<InvalidOperationException>(() => new TokenGenerator(model, failing).Generate(prompt, options));
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.True(model.training);
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
