using System.Text.Json;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>The loop trains a tiny model: loss, parameters, accumulation, clipping, schedule, cancellation, evaluation.</summary>
public sealed class TrainingLoopTests
{
    [Fact]
    public void A_tiny_model_learns_the_corpus_and_every_parameter_changes()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        model.SetTrainingMode(false);
        var before = TinyTraining.Snapshot(model);
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.NumTrainEpochs = 8;
        options.LoggingSteps = 4;
        var callback = new RecordingCallback();
        var loop = new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(16)), options, callbacks: [callback]);

        TrainingResult result = loop.Run();

        Assert.Equal(64, result.GlobalStep); // 8 epochs of 16 examples in micro-batches of 2
        Assert.Equal(8.0, result.Epoch, 12);
        double first = callback.Logs[0].Metrics[MetricNames.Loss];
        double last = callback.Logs[^1].Metrics[MetricNames.Loss];
        Assert.True(last < first * 0.6, $"loss went from {first} to {last}");
        Assert.True(first > 3.5, $"a random model starts near ln 64 ≈ 4.16, not at {first}");
        foreach (var (name, parameter) in model.NamedTrainableParameters())
        {
            Assert.False(before[name].AsSpan().SequenceEqual(TinyTraining.Bytes(parameter)), $"{name} did not change");
            Assert.Null(parameter.grad); // gradients are dropped after the run
        }

        Assert.False(model.IsTraining); // the mode the policy had before the run is restored
        Assert.Equal(Path.Combine(output.Path, "checkpoint-64"), result.OutputDirectory);
        Assert.Same(callback.Logs[^1].Metrics, result.Metrics);
    }

    [Fact]
    public void Two_accumulated_micro_batches_of_two_equal_one_batch_of_four()
    {
        long[][] corpus = TinyTraining.Corpus(8);
        (TrainingResult Result, RecordingCallback Log, Dictionary<string, byte[]> Weights) Train(int batch, int accumulation)
        {
            using var output = new TempDirectory();
            using CausalLanguageModel model = TinyTraining.Model();
            TrainingOptions options = TinyTraining.Options(output.Path);
            options.PerDeviceTrainBatchSize = batch;
            options.GradientAccumulationSteps = accumulation;
            options.MaxSteps = 3;
            options.MaxGradNorm = 0; // no clipping, so grad_norm and the update see the raw accumulated gradient
            var callback = new RecordingCallback();
            TrainingResult result = new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(corpus), options, callbacks: [callback]).Run();
            return (result, callback, TinyTraining.Snapshot(model));
        }

        var accumulated = Train(batch: 2, accumulation: 2);
        var single = Train(batch: 4, accumulation: 1);

        Assert.Equal(3, accumulated.Result.GlobalStep);
        for (int i = 0; i < 3; i++)
        {
            // Without the division by the number of micro-batches the accumulated norm would be twice as large.
            double a = accumulated.Log.Logs[i].Metrics[MetricNames.GradNorm];
            double b = single.Log.Logs[i].Metrics[MetricNames.GradNorm];
            Assert.True(Math.Abs(a - b) <= 1e-5 * b, $"step {i + 1}: grad_norm {a} vs {b}");
            Assert.Equal(single.Log.Logs[i].Metrics[MetricNames.Loss], accumulated.Log.Logs[i].Metrics[MetricNames.Loss], 5);
        }

        foreach (var (name, bytes) in single.Weights)
        {
            float[] x = MemoryMarshalFloats(bytes);
            float[] y = MemoryMarshalFloats(accumulated.Weights[name]);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Math.Abs(x[i] - y[i]) <= 1e-5, $"{name}[{i}]: {x[i]} vs {y[i]}");
            }
        }
    }

    [Fact]
    public void Clipping_caps_the_global_norm_and_grad_norm_is_reported_before_clipping()
    {
        const double limit = 0.05;
        const double learningRate = 0.5;
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        var before = model.NamedTrainableParameters().Select(p => p.Parameter.detach().clone()).ToList();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 1;
        options.LearningRate = learningRate;
        options.LrSchedulerType = LrSchedulerTypes.Constant;
        options.MaxGradNorm = limit;

        // With ε = 1 the first AdamW update is lr·g/(|g| + 1) element-wise, so its norm lies in
        // [lr·‖g‖/(1 + max|g|), lr·‖g‖]: it measures the norm of the gradient the optimizer received.
        options.AdamEpsilon = 1.0;
        var callback = new RecordingCallback();
        new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(4)), options, callbacks: [callback]).Run();

        double reported = callback.Logs[0].Metrics[MetricNames.GradNorm];
        Assert.True(reported > 10 * limit, $"the test needs a gradient well above the limit; grad_norm was {reported}");
        double squared = 0;
        var after = model.NamedTrainableParameters().Select(p => p.Parameter).ToList();
        for (int i = 0; i < after.Count; i++)
        {
            using var scope = NewDisposeScope();
            squared += (after[i].detach().to(ScalarType.Float64) - before[i].to(ScalarType.Float64)).pow(2).sum().item<double>();
            before[i].Dispose();
        }

        double updateNorm = Math.Sqrt(squared) / learningRate;
        Assert.InRange(updateNorm, limit / (1 + limit) * 0.99, limit * 1.01);
    }

    [Fact]
    public void The_loop_uses_and_logs_the_scheduled_learning_rate()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 10;
        options.WarmupRatio = 0.3;
        var callback = new RecordingCallback();
        new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(6)), options, callbacks: [callback]).Run();

        var schedule = new LearningRateSchedule(LrSchedulerTypes.Cosine, 3, 10);
        Assert.Equal(10, callback.Logs.Count);
        for (int step = 0; step < 10; step++)
        {
            Assert.Equal(options.LearningRate * schedule.Multiplier(step), callback.Logs[step].Metrics[MetricNames.LearningRate], 15);
        }
    }

    [Fact]
    public void Each_epoch_visits_every_example_once_in_a_seeded_order()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.PerDeviceTrainBatchSize = 3;
        options.GradientAccumulationSteps = 2;
        options.NumTrainEpochs = 2;
        var data = new TokenRows(TinyTraining.Corpus(10));
        var loop = new TrainingLoop<Tensor>(model, new CausalLmObjective(), data, options);
        Assert.Equal(2, loop.StepsPerEpoch); // micro-batches 3+3+3+1, two per step

        loop.Run();

        Assert.Equal(8, data.Requests.Count);
        var epoch1 = data.Requests.Take(4).SelectMany(r => r).ToList();
        var epoch2 = data.Requests.Skip(4).SelectMany(r => r).ToList();
        Assert.Equal(Enumerable.Range(0, 10), epoch1.Order());
        Assert.Equal(Enumerable.Range(0, 10), epoch2.Order());
        Assert.NotEqual(epoch1, epoch2);
        Assert.Single(data.Requests[3]); // the short last micro-batch is kept, not dropped
        Assert.NotEqual(Enumerable.Range(0, 10), epoch1);
    }

    [Fact]
    public void Cancellation_during_a_step_finishes_that_step_and_saves_its_state()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.GradientAccumulationSteps = 2;
        options.MaxSteps = 20;
        options.LoggingSteps = 5;
        using var cancellation = new CancellationTokenSource();

        // Call 7 is the first micro-batch of step 4: the step must still take its second micro-batch.
        var objective = new CausalLmObjective { OnCall = call => { if (call == 7) { cancellation.Cancel(); } } };
        var callback = new RecordingCallback();
        TrainingResult result = new TrainingLoop<Tensor>(model, objective, new TokenRows(TinyTraining.Corpus(12)), options, callbacks: [callback])
            .Run(cancellation.Token);

        Assert.Equal(4, result.GlobalStep);
        Assert.Equal(8, objective.Calls);
        Assert.Equal(["begin 0", "step 1", "step 2", "step 3", "step 4", "log 4", "save 4 checkpoint-4", "end 4"], callback.Events);
        string checkpoint = Path.Combine(output.Path, "checkpoint-4");
        Assert.Equal(checkpoint, result.OutputDirectory);
        using JsonDocument state = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpoint, CheckpointManager.StateFileName)));
        Assert.Equal(4, state.RootElement.GetProperty("global_step").GetInt64());
        Assert.Equal(1, state.RootElement.GetProperty("data_epoch").GetInt32()); // 6 micro-batches per epoch, 3 steps
        Assert.Equal(2, state.RootElement.GetProperty("data_micro_batch").GetInt32());
        string line = Assert.Single(File.ReadAllLines(Path.Combine(output.Path, TrainingLoop<Tensor>.MetricsFileName)));
        using JsonDocument logged = JsonDocument.Parse(line);
        Assert.Equal(4, logged.RootElement.GetProperty("step").GetInt64()); // the partial logging window is flushed
    }

    [Fact]
    public void Cancellation_before_the_first_step_trains_and_writes_nothing()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        var before = TinyTraining.Snapshot(model);
        var objective = new CausalLmObjective();
        TrainingResult result = new TrainingLoop<Tensor>(model, objective, new TokenRows(TinyTraining.Corpus(4)), TinyTraining.Options(output.Path))
            .Run(new CancellationToken(canceled: true));

        Assert.Equal(0, result.GlobalStep);
        Assert.Null(result.OutputDirectory);
        Assert.Equal(0, objective.Calls);
        Assert.Empty(CheckpointManager.List(output.Path));
        TinyTraining.AssertBitIdentical(before, model);
    }

    [Fact]
    public void Evaluation_metrics_are_prefixed_and_example_weighted()
    {
        long[][] evalRows = TinyTraining.Corpus(7, seed: 9);
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        var loop = new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(4)), options, new TokenRows(evalRows));

        IReadOnlyDictionary<string, double> metrics = loop.Evaluate();

        Assert.Equal(["eval_loss", "eval_mean_token_accuracy", "eval_num_tokens"], metrics.Keys);
        double expected;
        using (var scope = NewDisposeScope())
        using (var noGrad = no_grad())
        {
            // All 7 rows at once: the mean over equal-length rows is what batches of 3, 3 and 1 must average to.
            Tensor ids = tensor(evalRows.SelectMany(r => r).ToArray(), [7, 12]);
            Tensor logits = model.Forward(ids);
            expected = nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, TinyTraining.Vocabulary), ids[.., 1..].reshape(-1)).item<float>();
        }

        Assert.Equal(expected, metrics["eval_loss"], 5);
        Assert.Equal(84, metrics["eval_num_tokens"]);
        Assert.True(model.IsTraining); // evaluation ran in eval mode and restored the mode it found
    }

    [Fact]
    public void Bad_setups_fail_before_training_with_clear_messages()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        var data = new TokenRows(TinyTraining.Corpus(4));
        var objective = new CausalLmObjective();

        var options = new TrainingOptions { EvalSteps = 5, LearningRate = 0 };
        var invalid = Assert.Throws<OptionsValidationException>(() => new TrainingLoop<Tensor>(model, objective, data, options));
        Assert.Contains(invalid.Failures, f => f.Contains("EvalSteps is 5 but no evaluation dataset", StringComparison.Ordinal));
        Assert.Contains(invalid.Failures, f => f.Contains("LearningRate", StringComparison.Ordinal));

        Assert.Throws<ArgumentException>(() => new TrainingLoop<Tensor>(model, objective, new TokenRows([]), new TrainingOptions()));
        Assert.Throws<ArgumentNullException>(() => new TrainingLoop<Tensor>(null!, objective, data, new TrainingOptions()));
        var noEval = new TrainingLoop<Tensor>(model, objective, data, new TrainingOptions());
        Assert.Throws<InvalidOperationException>(() => noEval.Evaluate());
    }

    [Fact]
    public void A_loop_runs_once()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 1;
        var loop = new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(2)), options);
        loop.Run();
        Assert.Throws<InvalidOperationException>(() => loop.Run());
    }

    [Fact]
    public async Task RunAsync_trains_on_another_thread_and_returns_the_result()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 2;
        var loop = new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(4)), options);
        TrainingResult result = await loop.RunAsync(CancellationToken.None);
        Assert.Equal(2, result.GlobalStep);
    }

    private static float[] MemoryMarshalFloats(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}
