using static TorchSharp.torch;

namespace Zephyr.Alignment.Training;

/// <summary>
/// Which examples each optimizer step reads. Epoch <c>e</c> visits the examples in a permutation drawn by torch's
/// <c>randperm</c> from seed + e; its micro-batches are consecutive slices of <c>batchSize</c> (the last may be short)
/// and its optimizer steps consecutive groups of <c>accumulation</c> micro-batches (the last may be short). Everything
/// is a function of the step number, which is what makes resuming exact.
/// </summary>
internal sealed class TrainingPlan
{
    private readonly long seed;
    private int cachedEpoch = -1;
    private int[] cachedPermutation = [];

    public TrainingPlan(int exampleCount, int batchSize, int accumulation, double epochs, int maxSteps, long seed)
    {
        ExampleCount = exampleCount;
        BatchSize = batchSize;
        Accumulation = accumulation;
        this.seed = seed;
        MicroBatchesPerEpoch = (exampleCount + batchSize - 1) / batchSize;
        StepsPerEpoch = (MicroBatchesPerEpoch + accumulation - 1) / accumulation;
        TotalSteps = maxSteps > 0 ? maxSteps : Math.Max(1, (long)Math.Ceiling(epochs * StepsPerEpoch));
    }

    public int ExampleCount { get; }

    public int BatchSize { get; }

    public int Accumulation { get; }

    public int MicroBatchesPerEpoch { get; }

    public int StepsPerEpoch { get; }

    public long TotalSteps { get; }

    /// <summary>The epoch (0-based) that optimizer step <paramref name="step"/> reads from.</summary>
    public int EpochOf(long step) => (int)(step / StepsPerEpoch);

    /// <summary>The index, within its epoch, of the first micro-batch of optimizer step <paramref name="step"/>.</summary>
    public int FirstMicroBatchOf(long step) => (int)(step % StepsPerEpoch) * Accumulation;

    /// <summary>Epochs completed, fractional, once the first <paramref name="steps"/> optimizer steps are done.</summary>
    public double EpochAfter(long steps)
    {
        if (steps == 0)
        {
            return 0;
        }

        long last = steps - 1;
        int consumed = Math.Min(MicroBatchesPerEpoch, FirstMicroBatchOf(last) + Accumulation);
        return EpochOf(last) + ((double)consumed / MicroBatchesPerEpoch);
    }

    /// <summary>The example indices of each micro-batch of optimizer step <paramref name="step"/>.</summary>
    public IReadOnlyList<int[]> MicroBatchesOf(long step)
    {
        int[] order = Permutation(EpochOf(step));
        int first = FirstMicroBatchOf(step);
        int end = Math.Min(MicroBatchesPerEpoch, first + Accumulation);
        var batches = new List<int[]>(end - first);
        for (int micro = first; micro < end; micro++)
        {
            int start = micro * BatchSize;
            batches.Add(order[start..Math.Min(ExampleCount, start + BatchSize)]);
        }

        return batches;
    }

    /// <summary>The visiting order of epoch <paramref name="epoch"/>: torch.randperm with a generator seeded seed + epoch.</summary>
    public int[] Permutation(int epoch)
    {
        if (epoch != cachedEpoch)
        {
            using var scope = NewDisposeScope();
            using var generator = new Generator((ulong)(seed + epoch));
            Tensor order = randperm(ExampleCount, generator: generator, dtype: ScalarType.Int32);
            cachedPermutation = order.data<int>().ToArray();
            cachedEpoch = epoch;
        }

        return cachedPermutation;
    }
}
