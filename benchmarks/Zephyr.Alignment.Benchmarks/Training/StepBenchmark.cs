using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Benchmarks.Training;

/// <summary>
/// Times whole optimizer steps through the library's own <see cref="TrainingLoop{TBatch}"/>: DPO with a live reference,
/// DPO with precomputed reference log-probs, and SFT, on <c>bench-small</c> by default (Llama, vocab 32000, hidden 256,
/// 4 layers, 8 / 4 heads, intermediate 688; 4 pairs of a 128-token prompt + 128-token completions per step). Prints one
/// JSON line with tokens/s, ms/step (median), model FLOP/s as a fraction of the matmul peak it measures in the same dtype,
/// and the resident memory per step (peak, after warm-up, growth), the same fields as <c>benchmarks/pytorch/dpo_step.py</c>.
/// </summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project benchmarks/Zephyr.Alignment.Benchmarks -- step --mode dpo --steps 20</c>;
/// <c>--help</c> lists the options. The precision is one switch (<see cref="StepBenchmarkOptions.DType"/>): everything
/// dtype-dependent (the model, the matmul peak, <see cref="TrainingOptions.Bf16"/>/<see cref="TrainingOptions.Fp16"/>) reads it.
/// </remarks>
public static class StepBenchmark
{
    /// <summary>Runs the benchmark with command-line arguments; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        StepBenchmarkOptions options;
        try
        {
            options = StepBenchmarkOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(StepBenchmarkOptions.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(StepBenchmarkOptions.Usage);
            return 0;
        }

        if (options.Malloc is { } malloc)
        {
            TorchRuntime.ConfigureNativeMemory(malloc);
        }

        TorchRuntime.EnsureInitialized();
        if (options.Threads > 0)
        {
            set_num_threads(options.Threads);
        }

        StepResult result = Measure(options);
        Console.WriteLine(JsonSerializer.Serialize(result.Summary));
        if (options.RssCsv is { } csv)
        {
            File.WriteAllLines(csv, ["step,ms,rss_mb,minor_faults", .. result.Steps.Select(
                (s, i) => string.Create(CultureInfo.InvariantCulture, $"{i + 1},{s.Milliseconds:F2},{s.RssMb:F1},{s.MinorFaults}"))]);
        }

        return 0;
    }

    private static StepResult Measure(StepBenchmarkOptions o)
    {
        var config = new TransformerConfig
        {
            ModelType = "llama",
            HiddenSize = o.Hidden,
            IntermediateSize = o.Intermediate,
            NumHiddenLayers = o.Layers,
            NumAttentionHeads = o.Heads,
            NumKeyValueHeads = o.KeyValueHeads,
            VocabSize = o.Vocab,
            MaxPositionEmbeddings = Math.Max(2048, o.Prompt + o.Completion),
            RopeTheta = 10000,
        };
        var load = new ModelLoadOptions { DType = o.DType };
        double peakFlops = MatmulPeak(o.DType);
        string output = Path.Combine(Path.GetTempPath(), "zephyr-step-bench-" + Guid.NewGuid().ToString("N"));
        var recorder = new StepRecorder();
        var training = new TrainingOptions
        {
            OutputDirectory = output,
            LearningRate = 5e-7,
            LrSchedulerType = LrSchedulerTypes.Constant,
            WarmupRatio = 0,
            MaxSteps = o.Warmup + o.Steps,
            PerDeviceTrainBatchSize = o.Mode == "sft" ? 2 * o.Pairs : o.Pairs,
            MaxGradNorm = 1.0,
            LoggingSteps = o.Warmup + o.Steps,
            SaveSteps = 0,

            // Half precision is mixed precision: float32 master weights in the optimizer (and loss scaling for fp16).
            Bf16 = o.DType == ScalarType.BFloat16,
            Fp16 = o.DType == ScalarType.Float16,
            GradientCheckpointing = o.GradientCheckpointing,
            GarbageCollectionSteps = o.GarbageCollectionSteps,
        };

        int rows = 2 * o.Pairs;
        int length = o.Prompt + o.Completion;
        var random = new Random(o.Seed + 1);
        int[] Tokens(int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(o.Vocab))];
        const int Batches = 4;
        try
        {
            using CausalLanguageModel policy = CausalLanguageModel.CreateRandom(config, load, o.Seed);
            if (o.Mode == "sft")
            {
                var examples = Enumerable.Range(0, Batches * rows).Select(_ =>
                {
                    bool[] mask = [.. Enumerable.Range(0, length).Select(t => t >= o.Prompt)];
                    return new TokenizedConversation(Tokens(length), mask);
                }).ToList();
                var loop = new TrainingLoop<SftBatch>(policy, new SftObjective(), SftDataset.Unpacked(examples), training, callbacks: [recorder]);
                loop.Run();
            }
            else
            {
                var pairs = Enumerable.Range(0, Batches * o.Pairs)
                    .Select(_ => new TokenizedPreference(Tokens(o.Prompt), Tokens(o.Completion), Tokens(o.Completion))).ToList();
                var dataset = new DpoDataset(pairs, new PreferenceCollator(padTokenId: 0));
                ReferenceModel? reference = null;
                if (o.Mode == "dpo-precomputed")
                {
                    double[] chosen = [.. pairs.Select(_ => -100 * random.NextDouble())];
                    double[] rejected = [.. pairs.Select(_ => -100 * random.NextDouble())];
                    dataset = dataset.WithReferenceLogProbs(new PrecomputedReferenceLogProbs(chosen, rejected, ScalarType.Float32));
                }
                else
                {
                    reference = new ReferenceModel(CausalLanguageModel.CreateRandom(config, load, o.Seed));
                }

                using (reference)
                {
                    var objective = new DpoObjective(DpoLosses.Create(DpoLossNames.Sigmoid, beta: 0.1), reference, o.PrefixSharing);
                    new TrainingLoop<DpoBatch>(policy, objective, dataset, training, callbacks: [recorder]).Run();
                }
            }
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }

        // The first step is timed from the start of training, the others from the previous step's end.
        List<StepSample> steps = recorder.Samples;
        double[] timed = [.. steps.Skip(o.Warmup).Select(s => s.Milliseconds).Order()];
        double median = timed[timed.Length / 2];
        double flops = ModelFlopsPerStep(o, rows, length);
        double tokens = (double)rows * length;
        double[] rss = [.. steps.Select(s => s.RssMb)];
        int from = Math.Min(Math.Max(o.Warmup, 30), rss.Length) - 1;
        var summary = new Dictionary<string, object?>
        {
            ["runner"] = "zephyr-torchsharp",
            ["threads"] = get_num_threads(),
            ["mode"] = o.Mode,
            ["dtype"] = o.DType.ToString().ToLowerInvariant(),
            ["mixed_precision"] = o.DType is ScalarType.BFloat16 or ScalarType.Float16,
            ["gradient_checkpointing"] = o.GradientCheckpointing,
            ["prefix_sharing"] = o.Mode == "sft" ? null : o.PrefixSharing,
            ["gc_steps"] = o.GarbageCollectionSteps,
            ["malloc"] = string.Join(", ", TorchRuntime.NativeMemory.Applied.DefaultIfEmpty("glibc defaults")),
            ["steps"] = o.Steps,
            ["ms_per_step"] = median,

            // CPU time of the process per step (all threads): unlike the wall time, it leaves out waiting for a core.
            ["cpu_ms_per_step"] = steps.Skip(o.Warmup).Select(s => s.CpuMilliseconds).Order().ElementAt(timed.Length / 2),
            ["tokens_per_s"] = tokens / (median / 1e3),
            ["model_gflops_per_s"] = flops / (median / 1e3) / 1e9,
            ["matmul_peak_gflops_per_s"] = peakFlops / 1e9,
            ["fraction_of_peak"] = flops / (median / 1e3) / peakFlops,
            ["peak_rss_mb"] = ProcStatusMb("VmHWM"),
            ["last_rss_mb"] = rss[^1],
            ["rss_mb_at_step"] = from + 1,
            ["rss_growth_pct"] = 100 * (rss[^1] - rss[from]) / rss[from],
            ["rss_max_after_mb"] = rss.Skip(from).Max(),
            ["rss_min_after_mb"] = rss.Skip(from).Min(),

            // Page faults are what a low mmap threshold costs (each fresh mapping is faulted in page by page); unlike
            // the time, their count does not depend on what else the machine is doing.
            ["minor_faults_per_step"] = steps.Skip(o.Warmup).Average(s => (double)s.MinorFaults),
        };
        return new StepResult(summary, steps);
    }

    /// <summary>
    /// PaLM's convention (Chowdhery et al. 2022, appendix B): 6 N FLOPs per trained token (forward + backward) plus
    /// attention, 2 N per forward-only token (the live reference); N counts the matmul parameters, not the embedding.
    /// </summary>
    private static double ModelFlopsPerStep(StepBenchmarkOptions o, int rows, int length)
    {
        double d = o.Hidden / o.Heads;
        double matmulParameters = (o.Layers * ((o.Hidden * (o.Heads + (2.0 * o.KeyValueHeads)) * d) + (o.Heads * d * o.Hidden)
            + (3.0 * o.Hidden * o.Intermediate))) + ((double)o.Hidden * o.Vocab);
        double attention = 2.0 * 2 * o.Layers * length * o.Heads * d;
        double tokens = (double)rows * length;
        double perToken = (2 * matmulParameters) + attention;
        return (3 * tokens * perToken) + (o.Mode == "dpo" ? tokens * perToken : 0);
    }

    /// <summary>The best of three timings of a 2048² matmul in <paramref name="dtype"/>: the peak a model step can approach.</summary>
    private static double MatmulPeak(ScalarType dtype)
    {
        const int Size = 2048, Repeats = 10;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor a = randn(Size, Size, dtype: dtype), b = randn(Size, Size, dtype: dtype);
        for (int i = 0; i < 2; i++)
        {
            using Tensor warm = a.matmul(b);
        }

        double best = double.MaxValue;
        for (int trial = 0; trial < 3; trial++)
        {
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < Repeats; i++)
            {
                using Tensor product = a.matmul(b);
            }

            best = Math.Min(best, watch.Elapsed.TotalSeconds / Repeats);
        }

        return 2.0 * Size * Size * Size / best;
    }

    internal static double ProcStatusMb(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(key.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        return double.NaN;
    }

    /// <summary>Minor page faults of this process so far (field 10 of /proc/self/stat).</summary>
    internal static long MinorFaults()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture); // fields after the name start at field 3
    }

    private sealed record StepSample(double Milliseconds, double CpuMilliseconds, double RssMb, long MinorFaults);

    private sealed record StepResult(Dictionary<string, object?> Summary, List<StepSample> Steps);

    /// <summary>Times each step from the previous step's end and reads the resident set size after it.</summary>
    private sealed class StepRecorder : ITrainingCallback
    {
        private readonly Stopwatch watch = new();
        private TimeSpan cpu;
        private long faults;

        public List<StepSample> Samples { get; } = [];

        public void OnTrainBegin(TrainingProgress progress)
        {
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            faults = MinorFaults();
            watch.Restart();
        }

        public void OnStepEnd(TrainingProgress progress)
        {
            double milliseconds = watch.Elapsed.TotalMilliseconds;
            TimeSpan now = Process.GetCurrentProcess().TotalProcessorTime;
            long nowFaults = MinorFaults();
            Samples.Add(new StepSample(milliseconds, (now - cpu).TotalMilliseconds, ProcStatusMb("VmRSS"), nowFaults - faults));
            cpu = now;
            faults = nowFaults;
            watch.Restart();
        }
    }
}
