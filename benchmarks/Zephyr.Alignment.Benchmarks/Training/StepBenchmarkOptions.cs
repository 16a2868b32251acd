using System.Globalization;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Benchmarks.Training;

/// <summary>The step benchmark's command line; the defaults are <c>bench-small</c>.</summary>
public sealed class StepBenchmarkOptions
{
    /// <summary>The help text.</summary>
    public const string Usage = """
        step [options]   one JSON line: tokens/s, ms/step, model FLOP/s / matmul peak, resident memory
          --mode dpo|dpo-precomputed|sft   DPO with a live reference (default), with precomputed reference log-probs, or SFT
          --steps N          timed steps after warm-up (default 20)
          --warmup N         untimed steps first (default 3)
          --precision P      fp32 (default), bf16 or fp16: the model's dtype and the matmul peak; bf16/fp16 train in
                             mixed precision (TrainingOptions.Bf16/Fp16: float32 master weights, fp16 loss scaling)
          --dtype NAME       the same switch by dtype name: float32, bfloat16, float16
          --gradient-checkpointing true|false   recompute each decoder layer in backward (default false)
          --prefix-sharing true|false   DPO modes: one [prompt; chosen; rejected] row per pair, the prompt computed once
                             (DpoOptions.PrefixSharing; default: the option's default, true)
          --gc-steps N       TrainingOptions.GarbageCollectionSteps: collect the step's garbage every N steps, 0 never
                             (default: the option's default, 1)
          --threads N        torch intra-op threads; 0 keeps torch's default (default 0)
          --malloc SPEC      the native allocator policy: 'library' (default: NativeMemoryOptions' defaults), 'off'
                             (glibc's dynamic threshold), or mmap=BYTES[,trim=BYTES][,arena=N]
          --rss-csv PATH     also write step,ms,rss_mb,minor_faults for every step
          --vocab --hidden --layers --heads --kv-heads --intermediate --prompt --completion --pairs --seed
                             the workload (defaults 32000 256 4 8 4 688 128 128 4 0)
        """;

    /// <summary>dpo, dpo-precomputed or sft.</summary>
    public string Mode { get; private set; } = "dpo";

    /// <summary>Timed steps.</summary>
    public int Steps { get; private set; } = 20;

    /// <summary>Untimed steps before them.</summary>
    public int Warmup { get; private set; } = 3;

    /// <summary>The model's dtype (the precision switch).</summary>
    public ScalarType DType { get; private set; } = ScalarType.Float32;

    /// <summary>Whether the policy recomputes its layers in the backward pass.</summary>
    public bool GradientCheckpointing { get; private set; }

    /// <summary>Steps between the loop's collections of step garbage (default: <see cref="TrainingOptions.GarbageCollectionSteps"/>'s).</summary>
    public int GarbageCollectionSteps { get; private set; } = new TrainingOptions().GarbageCollectionSteps;

    /// <summary>Whether DPO packs each pair into one row and computes its prompt once (default: <see cref="Dpo.DpoOptions.PrefixSharing"/>'s).</summary>
    public bool PrefixSharing { get; private set; } = new Dpo.DpoOptions().PrefixSharing;

    private bool prefixSharingGiven;

    /// <summary>Torch threads; 0 keeps the default.</summary>
    public int Threads { get; private set; }

    /// <summary>The allocator policy to configure; null keeps the library's defaults.</summary>
    public NativeMemoryOptions? Malloc { get; private set; }

    /// <summary>Where to write per-step timings and RSS, if anywhere.</summary>
    public string? RssCsv { get; private set; }

    /// <summary>Vocabulary size.</summary>
    public int Vocab { get; private set; } = 32000;

    /// <summary>Hidden size.</summary>
    public int Hidden { get; private set; } = 256;

    /// <summary>Decoder layers.</summary>
    public int Layers { get; private set; } = 4;

    /// <summary>Query heads.</summary>
    public int Heads { get; private set; } = 8;

    /// <summary>Key/value heads.</summary>
    public int KeyValueHeads { get; private set; } = 4;

    /// <summary>MLP width.</summary>
    public int Intermediate { get; private set; } = 688;

    /// <summary>Prompt tokens per pair.</summary>
    public int Prompt { get; private set; } = 128;

    /// <summary>Completion tokens per answer.</summary>
    public int Completion { get; private set; } = 128;

    /// <summary>Pairs per step (2 × pairs rows).</summary>
    public int Pairs { get; private set; } = 4;

    /// <summary>Weights and data seed.</summary>
    public int Seed { get; private set; }

    /// <summary>Print the usage.</summary>
    public bool Help { get; private set; }

    /// <summary>Parses the arguments after <c>step</c>.</summary>
    /// <exception cref="ArgumentException">An unknown option or a bad value.</exception>
    public static StepBenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var o = new StepBenchmarkOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h")
            {
                o.Help = true;
                continue;
            }

            string value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--mode":
                    o.Mode = value is "dpo" or "dpo-precomputed" or "sft" ? value : throw new ArgumentException($"Unknown mode '{value}'.");
                    break;
                case "--steps": o.Steps = Positive(name, value); break;
                case "--warmup": o.Warmup = Positive(name, value); break;
                case "--dtype": o.DType = TorchDevices.ParseDType(value); break;
                case "--precision":
                    o.DType = value switch
                    {
                        "fp32" => ScalarType.Float32,
                        "bf16" => ScalarType.BFloat16,
                        "fp16" => ScalarType.Float16,
                        _ => throw new ArgumentException($"--precision must be fp32, bf16 or fp16; got '{value}'."),
                    };
                    break;
                case "--gradient-checkpointing":
                    o.GradientCheckpointing = bool.TryParse(value, out bool on) ? on : throw new ArgumentException($"--gradient-checkpointing needs true or false; got '{value}'.");
                    break;
                case "--gc-steps":
                    o.GarbageCollectionSteps = int.TryParse(value, CultureInfo.InvariantCulture, out int gcSteps) && gcSteps >= 0
                        ? gcSteps
                        : throw new ArgumentException($"--gc-steps needs a whole number >= 0; got '{value}'.");
                    break;
                case "--prefix-sharing":
                    o.PrefixSharing = bool.TryParse(value, out bool share) ? share : throw new ArgumentException($"--prefix-sharing needs true or false; got '{value}'.");
                    o.prefixSharingGiven = true;
                    break;
                case "--threads": o.Threads = Count(name, value); break;
                case "--malloc": o.Malloc = ParseMalloc(value); break;
                case "--rss-csv": o.RssCsv = value; break;
                case "--vocab": o.Vocab = Positive(name, value); break;
                case "--hidden": o.Hidden = Positive(name, value); break;
                case "--layers": o.Layers = Positive(name, value); break;
                case "--heads": o.Heads = Positive(name, value); break;
                case "--kv-heads": o.KeyValueHeads = Positive(name, value); break;
                case "--intermediate": o.Intermediate = Positive(name, value); break;
                case "--prompt": o.Prompt = Positive(name, value); break;
                case "--completion": o.Completion = Positive(name, value); break;
                case "--pairs": o.Pairs = Positive(name, value); break;
                case "--seed": o.Seed = Count(name, value); break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        if (o.prefixSharingGiven && o.Mode == "sft")
        {
            throw new ArgumentException("--prefix-sharing applies to the DPO modes, not to --mode sft.");
        }

        return o;
    }

    private static NativeMemoryOptions? ParseMalloc(string value)
    {
        if (value == "library")
        {
            return null;
        }

        if (value == "off")
        {
            return new NativeMemoryOptions { TuneAllocator = false };
        }

        var options = new NativeMemoryOptions();
        foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] pair = part.Split('=', 2);
            long number = pair.Length == 2 && long.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out long n)
                ? n : throw new ArgumentException($"--malloc: '{part}' is not name=number.");
            switch (pair[0])
            {
                case "mmap": options.MmapThresholdBytes = number; break;
                case "trim": options.TrimThresholdBytes = number; break;
                case "arena": options.ArenaMax = checked((int)number); break;
                default: throw new ArgumentException($"--malloc: unknown setting '{pair[0]}' (mmap, trim, arena).");
            }
        }

        return options;
    }

    private static int Positive(string name, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : throw new ArgumentException($"{name} needs a positive integer; got '{value}'.");

    private static int Count(string name, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n : throw new ArgumentException($"{name} needs a non-negative integer; got '{value}'.");
}
