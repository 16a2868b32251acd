using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

/// <summary>
/// A synthetic preference task for tiny random models: prompts are <c>[bos, t1..t4]</c> over a small vocabulary; the
/// chosen completion repeats the prompt's last token (<c>[t4, eos]</c>), the rejected one says another token (<c>[r, eos]</c>).
/// </summary>
internal static class SyntheticPreferences
{
    public const int Pad = 0;
    public const int Bos = 1;
    public const int Eos = 2;
    public const int FirstContent = 3;
    public const int Vocabulary = 32;

    /// <summary>A Llama of about 283k parameters (hidden 96, two layers).</summary>
    public static CausalLanguageModel Model(long seed = 7, double attentionDropout = 0.0)
    {
        TorchRuntime.EnsureInitialized();
        var config = new TransformerConfig
        {
            ModelType = "llama",
            HiddenSize = 96,
            IntermediateSize = 384,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 64,
            VocabSize = Vocabulary,
            AttentionDropout = attentionDropout,
            BosTokenId = Bos,
            EosTokenIds = [Eos],
        };
        return CausalLanguageModel.CreateRandom(config, seed: seed);
    }

    public static List<TokenizedPreference> Pairs(int count, int seed, int promptLength = 4)
    {
        var random = new Random(seed);
        int Content() => random.Next(FirstContent, Vocabulary);
        var pairs = new List<TokenizedPreference>(count);
        for (int i = 0; i < count; i++)
        {
            int[] prompt = [Bos, .. Enumerable.Range(0, promptLength).Select(_ => Content())];
            int last = prompt[^1];
            int other;
            do
            {
                other = Content();
            }
            while (other == last);
            pairs.Add(new TokenizedPreference(prompt, [last, Eos], [other, Eos], $"synthetic #{i}"));
        }

        return pairs;
    }

    /// <summary>Pairs of varied prompt lengths (2..6 content tokens), so batches need padding.</summary>
    public static List<TokenizedPreference> RaggedPairs(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i => Pairs(1, seed * 1000 + i, promptLength: 2 + random.Next(5))[0])];
    }

    public static DpoDataset Dataset(IReadOnlyList<TokenizedPreference> pairs) => new(pairs, new PreferenceCollator(Pad));

    public static DpoOptions Options(string output) => new()
    {
        OutputDirectory = output,
        LearningRate = 1e-3,
        Beta = 0.1,
        PerDeviceTrainBatchSize = 4,
        PerDeviceEvalBatchSize = 8,
        LoggingSteps = 1,
        SaveSteps = 0,
        SaveTotalLimit = 0,
        WarmupRatio = 0,
        LrSchedulerType = "constant",
    };
}

/// <summary>Records every log of a training run.</summary>
internal sealed class RecordingCallback(Action<TrainingProgress>? onStepEnd = null) : ITrainingCallback
{
    public List<(long Step, IReadOnlyDictionary<string, double> Metrics)> Logs { get; } = [];

    public void OnStepEnd(TrainingProgress progress) => onStepEnd?.Invoke(progress);

    public void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
        => Logs.Add((progress.GlobalStep, new Dictionary<string, double>(metrics)));

    public List<double> TrainLosses() => [.. Logs.Where(l => l.Metrics.ContainsKey("loss")).Select(l => l.Metrics["loss"])];
}

/// <summary>Keeps every log entry (event id, level, message) of the loggers it creates.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public List<(int EventId, LogLevel Level, string Message)> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Entries)
            {
                owner.Entries.Add((eventId.Id, logLevel, formatter(state, exception)));
            }
        }
    }
}
