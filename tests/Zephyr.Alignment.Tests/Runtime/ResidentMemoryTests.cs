using Xunit.Abstractions;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Runtime;

/// <summary>
/// Resident memory of real training, read from <c>/proc/self/status</c> in a process of its own (see
/// <see cref="MemoryProbe"/>), with a real-size vocabulary (32000) so that the logits blocks are what they are in use.
/// </summary>
public sealed class ResidentMemoryTests(ITestOutputHelper output)
{
    private const int Vocabulary = 32000;

    [LinuxFact]
    public void Resident_memory_stays_flat_after_warm_up_through_the_training_loop()
    {
        using var directory = new TempDirectory();
        var (policy, steps) = MemoryProbe.Run(directory.Path, "dpo", 48, "default", Vocabulary, 64, 1, 4, 64, 1);
        output.WriteLine("policy: " + policy);
        output.WriteLine(string.Join(", ", steps.Select(s => $"{s.Number}:{s.RssKb / 1024}MB")));

        // 8 rows of 64 tokens (65.5 MB of logits a step). glibc's dynamic mmap threshold grows RSS by ~16 MB a step here.
        // Tamed, what remained was the native memory of TorchSharp objects that only their finalizers free (Scalars,
        // autograd nodes, among others): 19 MB from step 8 to step 48 until the loop collected each step's garbage
        // (TrainingOptions.GarbageCollectionSteps), about 5 MB with it.
        long afterWarmUp = steps.Single(s => s.Number == 8).RssKb;
        long growthMb = (steps[^1].RssKb - afterWarmUp) / 1024;
        Assert.True(growthMb <= 11, $"RSS grew by {growthMb} MB from step 8 to step {steps[^1].Number} ({policy}).");
        Assert.Contains("M_MMAP_THRESHOLD=", policy, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dpo", 4)]
    [InlineData("sft", 8)]
    public void The_peak_inside_a_step_is_the_logits_and_their_gradient_not_more_copies(string mode, int batch)
    {
        // 8 rows of 128 tokens: 131 MB of float32 logits. A step needs the logits and their gradient (2x); before the
        // log-prob and metric code kept to views and one autograd node, it peaked near 4.8x (narrow/reshape copies,
        // log_softmax outputs, per-chunk zeros of the whole block in backward).
        const long logitsBytes = 8L * 128 * Vocabulary * sizeof(float);
        using var directory = new TempDirectory();
        var (_, steps) = MemoryProbe.Run(directory.Path, mode, 3, "default", Vocabulary, 64, 1, batch, 128, 1);
        double transient = (steps[^1].PeakKb - steps[0].RssKb) * 1024.0 / logitsBytes;
        output.WriteLine($"{mode}: steady {steps[0].RssKb / 1024} MB, peak {steps[^1].PeakKb / 1024} MB: {transient:F2} x the logits");
        Assert.True(transient <= 2.75, $"The peak inside a {mode} step is {transient:F2} x the logits above the steady state.");
    }
}
