using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>A tiny causal LM, a synthetic corpus and a causal-LM objective for training-loop tests.</summary>
internal static class TinyTraining
{
    public const int Vocabulary = 64;

    public static CausalLanguageModel Model(long seed = 1, double attentionDropout = 0.0)
    {
        TorchRuntime.EnsureInitialized();
        var config = new TransformerConfig
        {
            ModelType = "llama",
            HiddenSize = 32,
            IntermediateSize = 64,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 64,
            VocabSize = Vocabulary,
            AttentionDropout = attentionDropout,
        };
        return CausalLanguageModel.CreateRandom(config, seed: seed);
    }

    /// <summary>Arithmetic progressions modulo the vocabulary: each row is predictable from its first two tokens.</summary>
    public static long[][] Corpus(int rows, int length = 12, int seed = 5)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows).Select(_ =>
        {
            int start = random.Next(Vocabulary);
            int stride = 1 + random.Next(3);
            return Enumerable.Range(0, length).Select(i => (long)((start + (i * stride)) % Vocabulary)).ToArray();
        })];
    }

    public static TrainingOptions Options(string output) => new()
    {
        OutputDirectory = output,
        LearningRate = 1e-2,
        PerDeviceTrainBatchSize = 2,
        PerDeviceEvalBatchSize = 3,
        GradientAccumulationSteps = 1,
        LoggingSteps = 1,
        SaveSteps = 0,
        SaveTotalLimit = 0,
    };

    /// <summary>Copies every trainable parameter's gradient and zeroes it, so the next backward starts clean.</summary>
    public static Dictionary<string, Tensor> TakeGradients(IPolicyModel model)
    {
        var grads = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in model.NamedTrainableParameters())
        {
            grads[name] = parameter.grad!.clone();
            parameter.grad!.zero_();
        }

        return grads;
    }

    /// <summary>Asserts that each gradient of <paramref name="actual"/> is within <paramref name="tolerance"/> of <paramref name="expected"/>'s.</summary>
    public static void AssertGradientsClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, double tolerance)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, grad) in expected)
        {
            double diff = (grad - actual[name]).abs().max().item<float>();
            Assert.True(diff <= tolerance, $"{name}: gradients differ by {diff}");
        }
    }

    public static Dictionary<string, byte[]> Snapshot(IPolicyModel model)
        => model.NamedTrainableParameters().ToDictionary(p => p.Name, p => Bytes(p.Parameter));

    public static byte[] Bytes(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().contiguous().bytes.ToArray();
    }

    public static void AssertBitIdentical(Dictionary<string, byte[]> expected, IPolicyModel actual)
    {
        foreach (var (name, parameter) in actual.NamedTrainableParameters())
        {
            Assert.True(expected[name].AsSpan().SequenceEqual(Bytes(parameter)), $"{name} differs");
        }
    }
}

/// <summary>Rows of token ids, collated to a [B, T] int64 tensor.</summary>
internal sealed class TokenRows(long[][] rows) : ITrainingDataset<Tensor>
{
    public int Count => rows.Length;

    public List<IReadOnlyList<int>> Requests { get; } = [];

    public Tensor Collate(IReadOnlyList<int> indices)
    {
        Requests.Add([.. indices]);
        return tensor(indices.SelectMany(i => rows[i]).ToArray(), [indices.Count, rows[0].Length]);
    }
}

/// <summary>Next-token cross-entropy over every position, with token-weighted accuracy and a token count.</summary>
internal sealed class CausalLmObjective : ITrainingObjective<Tensor>
{
    public int Calls { get; private set; }

    public Action<int>? OnCall { get; set; }

    public ObjectiveOutput ComputeLoss(IPolicyModel policy, Tensor batch, bool training)
    {
        Calls++;
        OnCall?.Invoke(Calls);
        Tensor ids = batch.to(policy.Device);
        Tensor logits = policy.Forward(ids).to(ScalarType.Float32); // [B, T, V]; the loss in float32 whatever the model computes in
        Tensor predicted = logits[.., ..^1].reshape(-1, policy.VocabularySize); // [B·(T-1), V]
        Tensor labels = ids[.., 1..].reshape(-1); // [B·(T-1)]
        Tensor loss = nn.functional.cross_entropy(predicted, labels);
        double tokens = labels.shape[0];
        double accuracy = predicted.argmax(-1).eq(labels).to(ScalarType.Float64).mean().item<double>();
        return new ObjectiveOutput(loss, new Dictionary<string, double> { [MetricNames.MeanTokenAccuracy] = accuracy })
        {
            Weight = tokens,
            Counts = new Dictionary<string, double> { [MetricNames.NumTokens] = ids.numel() },
        };
    }
}

/// <summary>Records every callback as a line, and the logged metrics.</summary>
internal sealed class RecordingCallback : ITrainingCallback
{
    public List<string> Events { get; } = [];

    public List<(long Step, IReadOnlyDictionary<string, double> Metrics)> Logs { get; } = [];

    public Action<TrainingProgress>? AfterStep { get; set; }

    public void OnTrainBegin(TrainingProgress progress) => Events.Add($"begin {progress.GlobalStep}");

    public void OnStepEnd(TrainingProgress progress)
    {
        Events.Add($"step {progress.GlobalStep}");
        AfterStep?.Invoke(progress);
    }

    public void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
        Events.Add(metrics.ContainsKey(MetricNames.Eval(MetricNames.Loss)) ? $"eval {progress.GlobalStep}" : $"log {progress.GlobalStep}");
        Logs.Add((progress.GlobalStep, metrics));
    }

    public void OnCheckpointSaved(TrainingProgress progress, string directory)
        => Events.Add($"save {progress.GlobalStep} {Path.GetFileName(directory)}");

    public void OnTrainEnd(TrainingProgress progress) => Events.Add($"end {progress.GlobalStep}");
}

/// <summary>Records each log entry's event id and structured fields.</summary>
internal sealed class ListLogger : ILogger
{
    public List<(int EventId, Dictionary<string, object?> Fields)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
        Entries.Add((eventId.Id, fields));
    }
}
