using System.Globalization;
using Zephyr.Alignment;
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

// Trains a random Llama with a real-size vocabulary through the library's own TrainingLoop in a process of its own
// (the allocator policy is process-wide) and prints the resident set size after every optimizer step, for
// ResidentMemoryTests. Usage: probe OUTPUT_DIR dpo|sft STEPS default|on|off [vocab hidden layers pairs length threads gc-steps]
// (default: the library's own policy, as any app gets it; on / off: NativeMemoryOptions.TuneAllocator; gc-steps:
// TrainingOptions.GarbageCollectionSteps, by default the option's default).
// Output lines: "policy <applied settings or the skip reason>", then
// "step <n> <VmRSS kB> <VmHWM kB> <managed heap kB> <gen-2 collections> <ms since the previous step>".
string output = args[0];
string mode = args[1];
int steps = Int(2);
string policyArgument = args[3];
int vocab = Int(4, 32000), hidden = Int(5, 64), layers = Int(6, 1), pairs = Int(7, 4), length = Int(8, 64), threads = Int(9, 1);
int garbageCollectionSteps = Int(10, new TrainingOptions().GarbageCollectionSteps);

if (policyArgument != "default")
{
    TorchRuntime.ConfigureNativeMemory(new NativeMemoryOptions { TuneAllocator = policyArgument == "on" });
}

TorchRuntime.EnsureInitialized();
set_num_threads(threads);
NativeMemoryPolicy policy = TorchRuntime.NativeMemory;
Console.WriteLine("policy " + string.Join("; ", policy.Applied.Concat(policy.Skipped).Concat(policy.Failed)));

var config = new TransformerConfig
{
    ModelType = "llama",
    HiddenSize = hidden,
    IntermediateSize = 3 * hidden,
    NumHiddenLayers = layers,
    NumAttentionHeads = 4,
    NumKeyValueHeads = 2,
    VocabSize = vocab,
    MaxPositionEmbeddings = 2 * length,
    RopeTheta = 10000,
};
var training = new TrainingOptions
{
    OutputDirectory = output,
    LearningRate = 1e-4,
    LrSchedulerType = LrSchedulerTypes.Constant,
    WarmupRatio = 0,
    MaxSteps = steps,
    PerDeviceTrainBatchSize = pairs,
    LoggingSteps = steps,
    SaveSteps = 0,
    GarbageCollectionSteps = garbageCollectionSteps,
};
var random = new Random(1);
int[] Tokens(int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(vocab))];
var probe = new RssPrinter();
using CausalLanguageModel model = CausalLanguageModel.CreateRandom(config, seed: 1);
if (mode == "sft")
{
    var examples = Enumerable.Range(0, 4 * pairs)
        .Select(_ => new TokenizedConversation(Tokens(length), [.. Enumerable.Range(0, length).Select(t => t >= length / 2)])).ToList();
    new TrainingLoop<SftBatch>(model, new SftObjective(), SftDataset.Unpacked(examples), training, callbacks: [probe]).Run();
}
else
{
    var examples = Enumerable.Range(0, 4 * pairs)
        .Select(_ => new TokenizedPreference(Tokens(length / 2), Tokens(length / 2), Tokens(length / 2))).ToList();
    using var reference = new ReferenceModel(CausalLanguageModel.CreateRandom(config, seed: 1));
    // The layout a DpoTrainer uses by default (prefix sharing, DpoOptions.PrefixSharing).
    var objective = new DpoObjective(DpoLosses.Create(DpoLossNames.Sigmoid, beta: 0.1), reference, new DpoOptions().PrefixSharing);
    new TrainingLoop<DpoBatch>(model, objective, new DpoDataset(examples, new PreferenceCollator(0)), training, callbacks: [probe]).Run();
}

return 0;

int Int(int index, int fallback = 0)
    => index < args.Length ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

/// <summary>Prints VmRSS and VmHWM (kB) from /proc/self/status after each optimizer step.</summary>
internal sealed class RssPrinter : ITrainingCallback
{
    private readonly System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();

    public void OnStepEnd(TrainingProgress progress)
    {
        double milliseconds = watch.Elapsed.TotalMilliseconds;
        string[] status = File.ReadAllLines("/proc/self/status");
        string Field(string key) => status.First(l => l.StartsWith(key + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Console.WriteLine($"step {progress.GlobalStep} {Field("VmRSS")} {Field("VmHWM")} {GC.GetTotalMemory(false) / 1024} {GC.CollectionCount(2)} {milliseconds:F0}");
        watch.Restart();
        Console.Out.Flush();
    }
}
