using System.Text.Json;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>Metrics reach callbacks, metrics.jsonl and the logger, in Hugging Face's order and with TRL's names.</summary>
public sealed class MetricsPublishingTests
{
    [Fact]
    public void Callbacks_metrics_file_and_logger_see_the_same_logs_in_order()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 6;
        options.LoggingSteps = 2;
        options.EvalSteps = 3;
        options.SaveSteps = 3;
        var callback = new RecordingCallback();
        var logger = new ListLogger();
        var loop = new TrainingLoop<Tensor>(
            model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(8)), options, new TokenRows(TinyTraining.Corpus(4, seed: 8)), [callback], logger);

        loop.Run();

        Assert.Equal(
            [
                "begin 0", "step 1", "step 2", "log 2", "step 3", "eval 3", "save 3 checkpoint-3", "step 4", "log 4", "step 5", "step 6",
                "log 6", "eval 6", "save 6 checkpoint-6", "end 6",
            ],
            callback.Events);

        string[] lines = File.ReadAllLines(Path.Combine(output.Path, TrainingLoop<Tensor>.MetricsFileName));
        Assert.Equal(5, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using JsonDocument line = JsonDocument.Parse(lines[i]);
            var (step, metrics) = callback.Logs[i];
            Assert.Equal(step, line.RootElement.GetProperty("step").GetInt64());
            Assert.Equal(metrics[MetricNames.Epoch], line.RootElement.GetProperty("epoch").GetDouble());
            var keys = line.RootElement.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(["step", "epoch", .. metrics.Keys.Where(k => k != MetricNames.Epoch)], keys);
            foreach (var (name, value) in metrics)
            {
                Assert.Equal(value, line.RootElement.GetProperty(name).GetDouble());
            }
        }

        Assert.Equal(
            [MetricNames.Loss, MetricNames.GradNorm, MetricNames.LearningRate, MetricNames.MeanTokenAccuracy, MetricNames.NumTokens, MetricNames.Epoch],
            callback.Logs[0].Metrics.Keys);
        Assert.Equal(["eval_loss", "eval_mean_token_accuracy", "eval_num_tokens", MetricNames.Epoch], callback.Logs[1].Metrics.Keys);

        // num_tokens is a running total: 2 steps × 2 rows × 12 tokens, then 4 steps' worth.
        Assert.Equal(48, callback.Logs[0].Metrics[MetricNames.NumTokens]);
        Assert.Equal(96, callback.Logs[2].Metrics[MetricNames.NumTokens]);
        Assert.Equal(0.5, callback.Logs[0].Metrics[MetricNames.Epoch], 12); // 2 of 4 steps per epoch

        Assert.Contains(logger.Entries, e => e.EventId == 103 && e.Fields["Step"] is 2L && e.Fields["Loss"] is double);
        Assert.Contains(logger.Entries, e => e.EventId == 104 && (string)e.Fields["Metrics"]! == Format(callback.Logs[1].Metrics));
        Assert.Equal(2, logger.Entries.Count(e => e.EventId == 105));
        Assert.Contains(logger.Entries, e => e.EventId == 100 && e.Fields["TotalSteps"] is 6L);
    }

    [Fact]
    public void Objective_metrics_are_averaged_with_their_weights_over_the_logging_window()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 2;
        options.LoggingSteps = 2;
        var objective = new WeightedObjective();
        var callback = new RecordingCallback();
        new TrainingLoop<Tensor>(model, objective, new TokenRows(TinyTraining.Corpus(4)), options, callbacks: [callback]).Run();

        // Step 1 reports 1.0 with weight 1, step 2 reports 4.0 with weight 3: (1 + 12) / 4.
        Assert.Equal(3.25, callback.Logs[0].Metrics["custom/value"], 12);
        Assert.Equal((objective.Losses[0] + objective.Losses[1]) / 2, callback.Logs[0].Metrics[MetricNames.Loss], 6);
    }

    [Fact]
    public void Non_finite_values_are_written_as_strings()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 1;
        var objective = new WeightedObjective { Value = double.NaN };
        new TrainingLoop<Tensor>(model, objective, new TokenRows(TinyTraining.Corpus(2)), options).Run();

        using JsonDocument line = JsonDocument.Parse(File.ReadAllLines(Path.Combine(output.Path, TrainingLoop<Tensor>.MetricsFileName)).Single());
        Assert.Equal("NaN", line.RootElement.GetProperty("custom/value").GetString());
    }

    private static string Format(IReadOnlyDictionary<string, double> metrics)
        => string.Join(" ", metrics.Where(m => m.Key != MetricNames.Epoch).Select(m => m.Key + " " + m.Value.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The causal-LM loss with a made-up metric: 1.0 (weight 1) on the first call, then <see cref="Value"/>·4 (weight 3).</summary>
    private sealed class WeightedObjective : ITrainingObjective<Tensor>
    {
        private readonly CausalLmObjective inner = new();

        public double Value { get; init; } = 1.0;

        public List<double> Losses { get; } = [];

        public ObjectiveOutput ComputeLoss(IPolicyModel policy, Tensor batch, bool training)
        {
            ObjectiveOutput output = inner.ComputeLoss(policy, batch, training);
            Losses.Add(output.Loss.item<float>());
            bool first = Losses.Count == 1;
            return new ObjectiveOutput(output.Loss, new Dictionary<string, double> { ["custom/value"] = first ? Value : Value * 4 })
            {
                Weight = first ? 1 : 3,
            };
        }
    }
}
