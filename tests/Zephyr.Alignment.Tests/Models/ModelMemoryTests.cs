using System.Diagnostics;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>Forward passes dispose every intermediate tensor, so repeated calls keep memory flat.</summary>
[Collection(MemorySensitiveCollection.Name)]
public sealed class ModelMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_hundred_forward_passes_leave_no_tensor_behind_and_keep_memory_flat()
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        using var generator = new Generator(3);
        using Tensor ids = randint(3, 512, [4, 96], generator: generator);
        using Tensor mask = ones([4, 96], ScalarType.Int64);

        void RunForward()
        {
            using var noGrad = no_grad();
            using Tensor logits = model.Forward(ids, mask); // [4, 96, 512]: about 0.8 MB, plus several MB of intermediates
        }

        for (int i = 0; i < 5; i++)
        {
            RunForward();
        }

        long tensorsBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long memoryBefore = ResidentBytes();
        for (int i = 0; i < 200; i++)
        {
            RunForward();
        }

        long tensorsAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        long memoryAfter = ResidentBytes();
        output.WriteLine($"live tensors {tensorsBefore} -> {tensorsAfter}; resident memory {memoryBefore / 1e6:F1} MB -> {memoryAfter / 1e6:F1} MB");
        Assert.True(tensorsBefore == tensorsAfter, $"live tensors {tensorsBefore} before, {tensorsAfter} after");

        // A leak of the intermediates would add several MB per pass, over 1 GB in all.
        Assert.True(memoryAfter - memoryBefore < 100_000_000, $"resident memory grew by {(memoryAfter - memoryBefore) / 1e6:F1} MB");
    }

    [Fact]
    public void Forward_inside_a_dispose_scope_leaves_only_the_logits()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        using Tensor ids = ModelFixtures.Ids([1, 300, 362, 354, 274, 404, 261, 367]);
        using var noGrad = no_grad();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var scope = NewDisposeScope();
        Tensor logits = model.Forward(ids);
        Assert.Equal(before + 1, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        scope.Dispose();

        // The logits belonged to the caller's scope; disposing it released them and nothing else was left.
        Assert.True(logits.IsInvalid);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
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
