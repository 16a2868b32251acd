using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Benchmarks.Training;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Benchmarks.Lora;

/// <summary>
/// Peak memory of DPO steps with full fine-tuning (policy + a separate frozen reference) against LoRA (the policy's
/// adapters, with the reference being the same model with adapters disabled), each in its own process so the peak
/// resident set (<c>VmHWM</c>) of one does not hide the other's. The workload defaults to <c>bench-small</c>.
/// </summary>
/// <remarks>
/// <c>lora-memory</c> starts this program twice (<c>lora-memory-one full</c>, <c>lora-memory-one lora</c>) and prints
/// both JSON lines and the ratios. Each child reports: parameter bytes (distinct tensors: the adapter-off reference adds
/// none), AdamW state bytes (two moments per trainable element), resident memory before the models are built, its peak
/// over the run, and ms per step.
/// </remarks>
public static class LoraMemoryBenchmark
{
    /// <summary>The help text.</summary>
    public const string Usage = """
        lora-memory [options]   full fine-tuning + separate reference vs LoRA + adapters-off reference, peak RSS of each
          --steps N        DPO steps per run (default 3)
          --r N            LoRA rank (default 16, the alignment-handbook's Zephyr QLoRA recipe), on all linear layers
          --threads N      torch intra-op threads (default 1)
          --vocab --hidden --layers --heads --kv-heads --intermediate --prompt --completion --pairs
                           the workload (defaults 32000 256 4 8 4 688 128 128 4: bench-small)
        """;

    /// <summary>Runs the comparison (two child processes) or, with <c>one</c>, a single configuration.</summary>
    /// <param name="args">The arguments after <c>lora-memory</c>.</param>
    /// <param name="one">True to measure one configuration in this process (the first argument names it).</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, bool one)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        if (one)
        {
            Console.WriteLine(Measure(args[0], Parse(args[1..])));
            return 0;
        }

        var lines = new Dictionary<string, JsonElement>();
        foreach (string mode in new[] { "full", "lora" })
        {
            string self = Environment.GetCommandLineArgs()[0];
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (self.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                start.ArgumentList.Add(self);
            }

            start.ArgumentList.Add("lora-memory-one");
            start.ArgumentList.Add(mode);
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using Process child = Process.Start(start)!;
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            if (child.ExitCode != 0)
            {
                Console.Error.WriteLine($"{mode} run failed with exit code {child.ExitCode}");
                return child.ExitCode;
            }

            string line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
            Console.WriteLine(line);
            lines[mode] = JsonDocument.Parse(line).RootElement.Clone();
        }

        double Ratio(string key) => lines["lora"].GetProperty(key).GetDouble() / lines["full"].GetProperty(key).GetDouble();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"lora/full: parameters {Ratio("parameter_mb"):F3}, optimizer state {Ratio("optimizer_state_mb"):F4}, peak RSS {Ratio("peak_rss_mb"):F3}, peak RSS above start {Ratio("peak_above_start_mb"):F3}, ms/step {Ratio("ms_per_step"):F3}"));
        return 0;
    }

    private static string Measure(string mode, Dictionary<string, int> o)
    {
        TorchRuntime.EnsureInitialized();
        set_num_threads(o["threads"]);
        double startRss = StepBenchmark.ProcStatusMb("VmRSS");
        var config = new TransformerConfig
        {
            ModelType = "llama",
            VocabSize = o["vocab"],
            HiddenSize = o["hidden"],
            NumHiddenLayers = o["layers"],
            NumAttentionHeads = o["heads"],
            NumKeyValueHeads = o["kv-heads"],
            IntermediateSize = o["intermediate"],
            MaxPositionEmbeddings = o["prompt"] + o["completion"],
        };
        string output = Path.Combine(Path.GetTempPath(), $"zephyr-lora-memory-{Guid.NewGuid():N}");
        var options = new DpoOptions
        {
            OutputDirectory = output,
            MaxSteps = o["steps"],
            PerDeviceTrainBatchSize = o["pairs"],
            LearningRate = 1e-4,
            Beta = 0.1,
            LoggingSteps = 1,
            SaveSteps = 0,
            SaveTotalLimit = 0,
            UsePeft = mode == "lora",
            LoraR = o["r"],
            LoraAlpha = o["r"],
            LoraTargetModules = [LoraConfig.AllLinear],
        };

        var stepTimes = new List<double>();
        var clock = new StepClock(stepTimes);
        try
        {
            using CausalLanguageModel policy = CausalLanguageModel.CreateRandom(config, seed: 1);
            CausalLanguageModel? referenceWeights = mode == "full" ? CausalLanguageModel.CreateRandom(config, seed: 1) : null;
            using var trainer = new DpoTrainer(policy, referenceWeights, Dataset(o, config.VocabSize), options, callbacks: [clock]);
            IPolicyModel trained = trainer.Policy!;
            long trainableElements = trained.NamedTrainableParameters().Sum(p => p.Parameter.NumberOfElements);
            var distinct = new HashSet<object>(ReferenceEqualityComparer.Instance);
            IEnumerable<Tensor> weights = trained is ILoraModel lora
                ? lora.NamedBaseParameters().Select(p => (Tensor)p.Parameter).Concat(lora.NamedTrainableParameters().Select(p => (Tensor)p.Parameter))
                : policy.named_parameters().Select(p => (Tensor)p.parameter).Concat(referenceWeights!.named_parameters().Select(p => (Tensor)p.parameter));
            long parameterBytes = weights.Where(distinct.Add).Sum(t => t.NumberOfElements * t.ElementSize);
            clock.Start();
            trainer.TrainAsync().GetAwaiter().GetResult();
            double msPerStep = stepTimes.Skip(1).DefaultIfEmpty(stepTimes.FirstOrDefault()).Average();
            double peak = StepBenchmark.ProcStatusMb("VmHWM");
            return JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["mode"] = mode,
                ["parameter_mb"] = parameterBytes / 1e6,
                ["trainable_parameters"] = trainableElements,
                ["optimizer_state_mb"] = 2 * trainableElements * 4 / 1e6,
                ["start_rss_mb"] = startRss,
                ["peak_rss_mb"] = peak,
                ["peak_above_start_mb"] = peak - startRss,
                ["ms_per_step"] = msPerStep,
                ["steps"] = o["steps"],
            });
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static DpoDataset Dataset(Dictionary<string, int> o, int vocabulary)
    {
        var random = new Random(0);
        int[] Tokens(int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(3, vocabulary))];
        var pairs = Enumerable.Range(0, o["pairs"] * o["steps"])
            .Select(_ => new TokenizedPreference(Tokens(o["prompt"]), Tokens(o["completion"]), Tokens(o["completion"])))
            .ToList();
        return new DpoDataset(pairs, new PreferenceCollator(0));
    }

    private static Dictionary<string, int> Parse(string[] args)
    {
        var values = new Dictionary<string, int>
        {
            ["steps"] = 3, ["r"] = 16, ["threads"] = 1, ["vocab"] = 32000, ["hidden"] = 256, ["layers"] = 4, ["heads"] = 8,
            ["kv-heads"] = 4, ["intermediate"] = 688, ["prompt"] = 128, ["completion"] = 128, ["pairs"] = 4,
        };
        for (int i = 0; i < args.Length; i += 2)
        {
            string key = args[i].TrimStart('-');
            if (!values.ContainsKey(key) || i + 1 >= args.Length || !int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int value) || value < 1)
            {
                throw new ArgumentException($"lora-memory: bad option '{args[i]}'.\n{Usage}");
            }

            values[key] = value;
        }

        return values;
    }

    private sealed class StepClock(List<double> times) : ITrainingCallback
    {
        private readonly Stopwatch watch = new();

        public void Start() => watch.Restart();

        public void OnStepEnd(TrainingProgress progress)
        {
            times.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
        }
    }
}
