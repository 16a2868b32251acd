using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>
/// <see cref="TrainingOptions.GarbageCollectionSteps"/>: objects a step leaves to their finalizers (TorchSharp's
/// <c>Scalar</c>s and autograd nodes free their native memory there) are finalized by the end of the step, not whenever
/// the GC next happens to run.
/// </summary>
public sealed class StepGarbageCollectionTests
{
    [Fact]
    public void Finalizable_garbage_of_a_step_is_finalized_by_the_end_of_the_step()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 4;
        var finalized = new FinalizationCounter();
        var objective = new CausalLmObjective { OnCall = _ => LeaveGarbage(finalized) };
        var unfinalizedAtStepEnd = new List<long>();
        var callback = new RecordingCallback { AfterStep = p => unfinalizedAtStepEnd.Add(p.GlobalStep - finalized.Count) };
        var logger = new ListLogger();

        new TrainingLoop<Tensor>(model, objective, new TokenRows(TinyTraining.Corpus(8)), options, callbacks: [callback], logger: logger).Run();

        // One sentinel per step (no accumulation); without the collection none of them is finalized this early.
        Assert.Equal([0L, 0L, 0L, 0L], unfinalizedAtStepEnd);
        var logged = Assert.Single(logger.Entries, e => e.EventId == 113);
        Assert.Equal(1, logged.Fields["Steps"]);
    }

    [Fact]
    public void A_negative_interval_is_rejected_and_zero_turns_it_off()
    {
        var failures = new List<string>();
        TrainingOptionsValidator.AddFailures(new TrainingOptions { GarbageCollectionSteps = -1 }, failures);
        Assert.Contains(failures, f => f.Contains("GarbageCollectionSteps must be >= 0", StringComparison.Ordinal));

        failures.Clear();
        TrainingOptionsValidator.AddFailures(new TrainingOptions { GarbageCollectionSteps = 0 }, failures);
        Assert.Empty(failures);
        Assert.Equal(1, new TrainingOptions().GarbageCollectionSteps);
    }

    [Fact]
    public void Turned_off_the_loop_says_nothing_about_it()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 1;
        options.GarbageCollectionSteps = 0;
        var logger = new ListLogger();

        new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(2)), options, logger: logger).Run();

        Assert.DoesNotContain(logger.Entries, e => e.EventId == 113);
    }

    /// <summary>Allocates a finalizable object that nothing references once this method returns.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeaveGarbage(FinalizationCounter counter) => _ = new Sentinel(counter);

    private sealed class FinalizationCounter
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public void Increment() => Interlocked.Increment(ref count);
    }

    private sealed class Sentinel(FinalizationCounter counter)
    {
        ~Sentinel() => counter.Increment();
    }
}
