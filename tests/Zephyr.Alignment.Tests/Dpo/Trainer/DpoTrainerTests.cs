using Microsoft.Extensions.Options;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

[Collection(GlobalRandomStateCollection.Name)]
public sealed class DpoTrainerTests
{
    [Fact]
    public async Task Every_trainable_parameter_changes_and_a_loss_is_logged()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policy = SyntheticPreferences.Model();
        var before = TinyTraining.Snapshot(policy);
        var recorder = new RecordingCallback();
        DpoOptions options = SyntheticPreferences.Options(folder.Path);
        options.MaxSteps = 3;
        options.LearningRate = 1e-2;
        using var trainer = new DpoTrainer(
            policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(12, seed: 1)), options, callbacks: [recorder]);

        TrainingResult result = await trainer.TrainAsync();

        Assert.Equal(3, result.GlobalStep);
        Assert.Equal(3, recorder.TrainLosses().Count);
        Assert.All(recorder.TrainLosses(), loss => Assert.True(double.IsFinite(loss)));
        foreach (var (name, parameter) in policy.NamedTrainableParameters())
        {
            Assert.False(before[name].AsSpan().SequenceEqual(TinyTraining.Bytes(parameter)), $"{name} did not change");
        }

        string[] expected =
        [
            "loss", "grad_norm", "learning_rate", "epoch", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
            "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected", "entropy", "mean_token_accuracy", "num_tokens",
        ];
        Assert.Equal(expected.Order(), recorder.Logs[^1].Metrics.Keys.Order());
    }

    [Fact]
    public async Task The_live_reference_stays_frozen_and_bit_identical_through_training()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policy = SyntheticPreferences.Model(attentionDropout: 0.1);
        CausalLanguageModel referenceWeights = SyntheticPreferences.Model(attentionDropout: 0.1);
        var before = referenceWeights.named_parameters().ToDictionary(p => p.name, p => TinyTraining.Bytes(p.parameter));
        DpoOptions options = SyntheticPreferences.Options(folder.Path);
        options.MaxSteps = 4;
        options.LearningRate = 1e-2;
        using var trainer = new DpoTrainer(policy, referenceWeights, SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(16, seed: 2)), options);

        await trainer.TrainAsync();

        Assert.NotNull(trainer.Reference);
        Assert.False(referenceWeights.IsTraining);
        Assert.Empty(referenceWeights.NamedTrainableParameters());
        foreach (var (name, parameter) in referenceWeights.named_parameters())
        {
            Assert.False(parameter.requires_grad, name);
            Assert.Null(parameter.grad);
            Assert.True(before[name].AsSpan().SequenceEqual(TinyTraining.Bytes(parameter)), $"reference {name} changed");
        }

        Assert.NotEqual(before["lm_head.weight"], TinyTraining.Bytes(policy.named_parameters().Single(p => p.name == "lm_head.weight").parameter));
    }

    [Fact]
    public async Task Training_with_precomputed_reference_log_probs_gives_the_live_references_losses_bit_for_bit_at_batch_size_one()
    {
        var pairs = SyntheticPreferences.RaggedPairs(10, seed: 3);
        (List<double> live, Dictionary<string, byte[]> liveWeights) = await TrainAsync(pairs, precompute: false, batchSize: 1, steps: 6);
        (List<double> cached, Dictionary<string, byte[]> cachedWeights) = await TrainAsync(pairs, precompute: true, batchSize: 1, steps: 6);

        Assert.Equal(6, live.Count);
        Assert.Equal(live, cached);
        Assert.Equal(liveWeights.Keys, cachedWeights.Keys);
        Assert.All(liveWeights, p => Assert.True(p.Value.AsSpan().SequenceEqual(cachedWeights[p.Key]), p.Key));
    }

    [Fact]
    public async Task Training_with_precomputed_reference_log_probs_matches_the_live_reference_at_other_batchings()
    {
        var pairs = SyntheticPreferences.RaggedPairs(24, seed: 4);
        (List<double> live, _) = await TrainAsync(pairs, precompute: false, batchSize: 4, steps: 6);
        (List<double> cached, _) = await TrainAsync(pairs, precompute: true, batchSize: 4, steps: 6, precomputeBatchSize: 7);

        Assert.Equal(live.Count, cached.Count);
        for (int i = 0; i < live.Count; i++)
        {
            // Padding to another length changes only the last bits of the reference's sums.
            Assert.True(Math.Abs(live[i] - cached[i]) <= 1e-5 * Math.Max(1, Math.Abs(live[i])), $"step {i + 1}: {live[i]} vs {cached[i]}");
        }
    }

    [Fact]
    public async Task Precomputing_releases_the_reference_and_a_cache_file_serves_the_next_run()
    {
        using var folder = new TempDirectory();
        using var cache = new TempDirectory();
        var pairs = SyntheticPreferences.RaggedPairs(12, seed: 5);
        var eval = SyntheticPreferences.RaggedPairs(5, seed: 6);
        var logs = new CapturingLoggerProvider();
        var firstLosses = new List<double>();
        for (int run = 0; run < 2; run++)
        {
            using CausalLanguageModel policy = SyntheticPreferences.Model();
            CausalLanguageModel referenceWeights = SyntheticPreferences.Model();
            DpoOptions options = SyntheticPreferences.Options(Path.Combine(folder.Path, $"run{run}"));
            options.MaxSteps = 3;
            options.PrecomputeRefLogProbs = true;
            options.RefLogProbsCacheDirectory = cache.Path;
            var recorder = new RecordingCallback();
            using var trainer = new DpoTrainer(
                policy, referenceWeights, SyntheticPreferences.Dataset(pairs), options, SyntheticPreferences.Dataset(eval),
                callbacks: [recorder], logger: logs.CreateLogger("dpo"));

            await trainer.TrainAsync();

            Assert.Null(trainer.Reference);

            // Released: the disposed model's tensors are gone.
            var released = Assert.Throws<InvalidOperationException>(() => referenceWeights.Forward(ones(1, 2, dtype: ScalarType.Int64)));
            Assert.Contains("empty handle", released.Message, StringComparison.Ordinal);
            Assert.NotNull(trainer.TrainDataset!.ReferenceLogProbs);
            Assert.NotNull(trainer.EvalDataset!.ReferenceLogProbs);
            if (run == 0)
            {
                firstLosses = recorder.TrainLosses();
            }
            else
            {
                Assert.Equal(firstLosses, recorder.TrainLosses());
            }
        }

        Assert.Equal(2, Directory.GetFiles(cache.Path, "ref-logps-*.bin").Length);
        Assert.Equal(2, logs.Entries.Count(e => e.EventId == 208)); // written on the first run, train and eval
        Assert.Equal(2, logs.Entries.Count(e => e.EventId == 206)); // read on the second
        Assert.Equal(2, logs.Entries.Count(e => e.EventId == 209));
    }

    [Fact]
    public async Task A_cache_file_written_with_one_row_layout_is_not_served_to_a_run_with_the_other()
    {
        using var folder = new TempDirectory();
        using var cache = new TempDirectory();
        var pairs = SyntheticPreferences.RaggedPairs(8, seed: 9);
        var logs = new CapturingLoggerProvider();
        foreach (bool prefixSharing in new[] { true, false })
        {
            using CausalLanguageModel policy = SyntheticPreferences.Model();
            DpoOptions options = SyntheticPreferences.Options(Path.Combine(folder.Path, $"sharing-{prefixSharing}"));
            options.MaxSteps = 1;
            options.PrecomputeRefLogProbs = true;
            options.RefLogProbsCacheDirectory = cache.Path;
            options.PrefixSharing = prefixSharing;
            using var trainer = new DpoTrainer(
                policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(pairs), options, logger: logs.CreateLogger("dpo"));

            await trainer.TrainAsync();
        }

        // The two layouts round differently (as two batch sizes do), so each computes and writes its own file.
        Assert.Equal(2, Directory.GetFiles(cache.Path, "ref-logps-*.bin").Length);
        Assert.Equal(0, logs.Entries.Count(e => e.EventId == 206));
        Assert.Equal(2, logs.Entries.Count(e => e.EventId == 208));
    }

    [Fact]
    public async Task A_run_stopped_and_resumed_ends_bit_identical_to_an_uninterrupted_run()
    {
        using var straight = new TempDirectory();
        using var interrupted = new TempDirectory();
        var pairs = SyntheticPreferences.RaggedPairs(20, seed: 7);
        DpoOptions Options(string output)
        {
            DpoOptions options = SyntheticPreferences.Options(output);
            options.MaxSteps = 6;
            options.SaveSteps = 3;
            options.LrSchedulerType = "cosine";
            options.WarmupRatio = 0.2;
            return options;
        }

        Dictionary<string, byte[]> expected;
        using (CausalLanguageModel policy = SyntheticPreferences.Model(attentionDropout: 0.1))
        using (var trainer = new DpoTrainer(policy, SyntheticPreferences.Model(attentionDropout: 0.1), SyntheticPreferences.Dataset(pairs), Options(straight.Path)))
        {
            Assert.Equal(6, (await trainer.TrainAsync()).GlobalStep);
            expected = TinyTraining.Snapshot(policy);
        }

        using var cancellation = new CancellationTokenSource();
        var stopper = new RecordingCallback(progress =>
        {
            if (progress.GlobalStep == 3)
            {
                cancellation.Cancel();
            }
        });
        using (CausalLanguageModel policy = SyntheticPreferences.Model(attentionDropout: 0.1))
        using (var trainer = new DpoTrainer(
            policy, SyntheticPreferences.Model(attentionDropout: 0.1), SyntheticPreferences.Dataset(pairs), Options(interrupted.Path), callbacks: [stopper]))
        {
            TrainingResult stopped = await trainer.TrainAsync(cancellation.Token);
            Assert.Equal(3, stopped.GlobalStep);
            Assert.EndsWith("checkpoint-3", stopped.OutputDirectory, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(interrupted.Path, "model.safetensors")));
        }

        using (CausalLanguageModel policy = SyntheticPreferences.Model(attentionDropout: 0.1))
        {
            DpoOptions options = Options(interrupted.Path);
            options.ResumeFromCheckpoint = "latest";
            using var trainer = new DpoTrainer(policy, SyntheticPreferences.Model(attentionDropout: 0.1), SyntheticPreferences.Dataset(pairs), options);
            Assert.Equal(6, (await trainer.TrainAsync()).GlobalStep);
            TinyTraining.AssertBitIdentical(expected, policy);
        }
    }

    [Fact]
    public async Task The_final_model_is_written_in_Hugging_Face_format_and_evaluation_reports_eval_metrics()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policy = SyntheticPreferences.Model();
        DpoOptions options = SyntheticPreferences.Options(folder.Path);
        options.MaxSteps = 2;
        options.EvalSteps = 2;
        var recorder = new RecordingCallback();
        using var trainer = new DpoTrainer(
            policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(8, seed: 8)), options,
            SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(5, seed: 9)), callbacks: [recorder]);

        TrainingResult result = await trainer.TrainAsync();
        IReadOnlyDictionary<string, double> evaluation = await trainer.EvaluateAsync();

        Assert.Equal(Path.GetFullPath(folder.Path), result.OutputDirectory);
        Assert.True(File.Exists(Path.Combine(folder.Path, "model.safetensors")));
        using CausalLanguageModel saved = PretrainedModel.Load(result.OutputDirectory!);
        TinyTraining.AssertBitIdentical(TinyTraining.Snapshot(saved), policy);
        Assert.Contains(recorder.Logs, l => l.Metrics.ContainsKey("eval_rewards/accuracies"));
        Assert.Equal(recorder.Logs.Last(l => l.Metrics.ContainsKey("eval_loss")).Metrics["eval_loss"], evaluation["eval_loss"]);
        Assert.True(File.Exists(Path.Combine(folder.Path, "metrics.jsonl")));
    }

    [Fact]
    public void Bad_arguments_are_refused_before_any_training()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policy = SyntheticPreferences.Model();
        var data = SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(4, seed: 10));
        DpoOptions options = SyntheticPreferences.Options(folder.Path);

        var same = Assert.Throws<ArgumentException>(() => new DpoTrainer(policy, policy, data, options));
        Assert.Contains("separate model object", same.Message, StringComparison.Ordinal);
        Assert.NotEmpty(policy.NamedTrainableParameters());

        options.Beta = 0;
        options.LabelSmoothing = 0.5;
        var invalid = Assert.Throws<OptionsValidationException>(() => new DpoTrainer(policy, SyntheticPreferences.Model(), data, options));
        Assert.Equal(2, invalid.Failures.Count());

        options.Beta = 0.1;
        options.LabelSmoothing = 0;
        options.ReferenceDevice = "cuda:7";
        if (!cuda.is_available())
        {
            var device = Assert.Throws<ArgumentException>(() => new DpoTrainer(policy, SyntheticPreferences.Model(), data, options));
            Assert.Contains("CUDA is not available", device.Message, StringComparison.Ordinal);
        }
    }

    private static async Task<(List<double> Losses, Dictionary<string, byte[]> Weights)> TrainAsync(
        List<Alignment.Dpo.Data.TokenizedPreference> pairs, bool precompute, int batchSize, int steps, int? precomputeBatchSize = null)
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policy = SyntheticPreferences.Model();
        DpoOptions options = SyntheticPreferences.Options(folder.Path);
        options.MaxSteps = steps;
        options.PerDeviceTrainBatchSize = batchSize;
        options.PrecomputeRefLogProbs = precompute;
        options.PrecomputeRefBatchSize = precomputeBatchSize ?? batchSize;
        var recorder = new RecordingCallback();
        using var trainer = new DpoTrainer(policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(pairs), options, callbacks: [recorder]);
        await trainer.TrainAsync();
        return (recorder.TrainLosses(), TinyTraining.Snapshot(policy));
    }
}
