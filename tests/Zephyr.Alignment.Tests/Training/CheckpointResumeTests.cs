using System.Text.Json;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>Checkpoints are complete, atomic and rotated, and resuming from one continues bit for bit.</summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class CheckpointResumeTests
{
    private static readonly string[] CheckpointFiles =
        ["config.json", "model.safetensors", "optimizer.bin", "trainer_state.json", "training_options.json"];

    /// <summary>12 examples, micro-batches of 2, 2 per step: 3 steps per epoch, 3 epochs, cosine with warmup, dropout on.</summary>
    private static TrainingOptions ResumeOptions(string output)
    {
        TrainingOptions options = TinyTraining.Options(output);
        options.GradientAccumulationSteps = 2;
        options.NumTrainEpochs = 3;
        options.WarmupRatio = 0.2;
        options.LearningRate = 5e-3;
        options.MaxGradNorm = 0.5;
        return options;
    }

    private static TrainingLoop<Tensor> Loop(IPolicyModel model, TrainingOptions options, RecordingCallback? callback = null)
        => new(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(12)), options, callbacks: callback is null ? null : [callback]);

    [Fact]
    public void A_run_cancelled_at_step_k_and_resumed_ends_bit_identical_to_an_uninterrupted_run()
    {
        using var uninterruptedOutput = new TempDirectory();
        using var interruptedOutput = new TempDirectory();
        Dictionary<string, byte[]> expected;
        using (CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1))
        {
            Assert.Equal(9, Loop(model, ResumeOptions(uninterruptedOutput.Path)).Run().GlobalStep);
            expected = TinyTraining.Snapshot(model);
        }

        using (CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1))
        {
            using var cancellation = new CancellationTokenSource();
            var stopper = new RecordingCallback { AfterStep = p => { if (p.GlobalStep == 4) { cancellation.Cancel(); } } };
            Assert.Equal(4, Loop(model, ResumeOptions(interruptedOutput.Path), stopper).Run(cancellation.Token).GlobalStep);
        }

        // A differently initialised model: everything must come from the checkpoint.
        using (CausalLanguageModel model = TinyTraining.Model(seed: 99, attentionDropout: 0.1))
        {
            TrainingOptions options = ResumeOptions(interruptedOutput.Path);
            options.ResumeFromCheckpoint = "latest";
            var callback = new RecordingCallback();
            TrainingResult result = Loop(model, options, callback).Run();

            Assert.Equal(9, result.GlobalStep);
            Assert.Equal("begin 4", callback.Events[0]);
            TinyTraining.AssertBitIdentical(expected, model);
        }

        // Every logged loss, grad_norm and learning rate after the resume is the uninterrupted run's, digit for digit.
        Assert.Equal(
            File.ReadAllLines(Path.Combine(uninterruptedOutput.Path, TrainingLoop<Tensor>.MetricsFileName)),
            File.ReadAllLines(Path.Combine(interruptedOutput.Path, TrainingLoop<Tensor>.MetricsFileName)));
    }

    [Fact]
    public void A_policy_that_cannot_reload_its_saved_folder_gets_a_parameter_file_and_still_resumes_exactly()
    {
        using var uninterruptedOutput = new TempDirectory();
        using var interruptedOutput = new TempDirectory();
        Dictionary<string, byte[]> expected;
        using (CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1))
        {
            Loop(model, ResumeOptions(uninterruptedOutput.Path)).Run();
            expected = TinyTraining.Snapshot(model);
        }

        using (CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1))
        {
            using var cancellation = new CancellationTokenSource();
            var stopper = new RecordingCallback { AfterStep = p => { if (p.GlobalStep == 4) { cancellation.Cancel(); } } };
            Loop(new OpaquePolicy(model), ResumeOptions(interruptedOutput.Path), stopper).Run(cancellation.Token);
        }

        Assert.True(File.Exists(Path.Combine(interruptedOutput.Path, "checkpoint-4", "trainable_parameters.bin")));
        using (CausalLanguageModel model = TinyTraining.Model(seed: 99, attentionDropout: 0.1))
        {
            TrainingOptions options = ResumeOptions(interruptedOutput.Path);
            options.ResumeFromCheckpoint = "latest";
            Assert.Equal(9, Loop(new OpaquePolicy(model), options).Run().GlobalStep);
            TinyTraining.AssertBitIdentical(expected, model);
        }
    }

    [Fact]
    public void Two_uninterrupted_runs_with_the_same_seed_are_bit_identical()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        Dictionary<string, byte[]> expected;
        using (CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1))
        {
            Loop(model, ResumeOptions(a.Path)).Run();
            expected = TinyTraining.Snapshot(model);
        }

        using (CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1))
        {
            Loop(model, ResumeOptions(b.Path)).Run();
            Assert.Equal(File.ReadAllLines(Path.Combine(a.Path, "metrics.jsonl")), File.ReadAllLines(Path.Combine(b.Path, "metrics.jsonl")));
            TinyTraining.AssertBitIdentical(expected, model);
        }
    }

    [Fact]
    public void Resuming_from_a_periodic_checkpoint_of_a_finished_run_reproduces_its_end()
    {
        using var output = new TempDirectory();
        using var replayOutput = new TempDirectory();
        Dictionary<string, byte[]> expected;
        using (CausalLanguageModel model = TinyTraining.Model(attentionDropout: 0.1))
        {
            TrainingOptions options = ResumeOptions(output.Path);
            options.SaveSteps = 5;
            options.SaveTotalLimit = 0;
            Loop(model, options).Run();
            expected = TinyTraining.Snapshot(model);
        }

        Assert.Equal([5L, 9L], CheckpointManager.List(output.Path).Select(c => c.Step));
        using (CausalLanguageModel model = TinyTraining.Model(seed: 7, attentionDropout: 0.1))
        {
            TrainingOptions options = ResumeOptions(replayOutput.Path);
            options.ResumeFromCheckpoint = Path.Combine(output.Path, "checkpoint-5");
            TrainingResult result = Loop(model, options).Run();
            Assert.Equal(9, result.GlobalStep);
            TinyTraining.AssertBitIdentical(expected, model);
        }
    }

    [Fact]
    public void Checkpoints_are_complete_rotated_and_leave_no_temporary_folders()
    {
        using var output = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(output.Path, "tmp-checkpoint-3-deadbeef")); // as a crash would leave it
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = ResumeOptions(output.Path);
        options.SaveSteps = 2;
        options.SaveTotalLimit = 2;
        var callback = new RecordingCallback();
        Loop(model, options, callback).Run();

        Assert.Equal(
            ["save 2 checkpoint-2", "save 4 checkpoint-4", "save 6 checkpoint-6", "save 8 checkpoint-8", "save 9 checkpoint-9"],
            callback.Events.Where(e => e.StartsWith("save", StringComparison.Ordinal)));
        Assert.Equal(["checkpoint-8", "checkpoint-9"], Directory.GetDirectories(output.Path).Select(Path.GetFileName).Order());
        foreach (string checkpoint in Directory.GetDirectories(output.Path))
        {
            foreach (string file in CheckpointFiles)
            {
                Assert.True(File.Exists(Path.Combine(checkpoint, file)), $"{checkpoint} lacks {file}");
            }

            // The model can reload its own folder (IReloadableWeights), so the weights are stored once, not twice.
            Assert.False(File.Exists(Path.Combine(checkpoint, "trainable_parameters.bin")));
        }

        // The policy folder is a Hugging Face checkpoint holding the trained weights exactly.
        using CausalLanguageModel reloaded = PretrainedModel.Load(Path.Combine(output.Path, "checkpoint-9"));
        TinyTraining.AssertBitIdentical(TinyTraining.Snapshot(model), reloaded);
        using JsonDocument state = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "checkpoint-9", "trainer_state.json")));
        Assert.Equal(9, state.RootElement.GetProperty("global_step").GetInt64());
        Assert.Equal(3.0, state.RootElement.GetProperty("epoch").GetDouble());
        Assert.Equal(2, state.RootElement.GetProperty("warmup_steps").GetInt64()); // ceil(0.2 × 9)
        Assert.True(state.RootElement.GetProperty("counts").GetProperty(MetricNames.NumTokens).GetDouble() > 0);
        using JsonDocument saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, "checkpoint-9", "training_options.json")));
        Assert.Equal(2, saved.RootElement.GetProperty(nameof(TrainingOptions.GradientAccumulationSteps)).GetInt32());
    }

    [Fact]
    public void Resuming_with_other_data_settings_is_refused_with_the_difference()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = ResumeOptions(output.Path);
        options.MaxSteps = 2;
        Loop(model, options).Run();

        TrainingOptions changed = ResumeOptions(output.Path);
        changed.PerDeviceTrainBatchSize = 3;
        changed.ResumeFromCheckpoint = "latest";
        var error = Assert.Throws<InvalidOperationException>(() => Loop(model, changed).Run());
        Assert.Contains("PerDeviceTrainBatchSize was 2 and is now 3", error.Message, StringComparison.Ordinal);

        TrainingOptions missing = ResumeOptions(output.Path);
        missing.ResumeFromCheckpoint = Path.Combine(output.Path, "checkpoint-77");
        Assert.Throws<InvalidOperationException>(() => Loop(model, missing).Run());
    }

    [Fact]
    public void Latest_without_a_checkpoint_starts_fresh()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = ResumeOptions(output.Path);
        options.MaxSteps = 2;
        options.ResumeFromCheckpoint = "latest";
        Assert.Equal(2, Loop(model, options).Run().GlobalStep);
    }
}

/// <summary>A policy that offers no optional capabilities (as a user's own IPolicyModel might): everything else delegates.</summary>
internal sealed class OpaquePolicy(IPolicyModel inner) : IPolicyModel
{
    public int VocabularySize => inner.VocabularySize;

    public Device Device => inner.Device;

    public ScalarType DType => inner.DType;

    public bool IsTraining => inner.IsTraining;

    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null) => inner.Forward(inputIds, attentionMask, positionIds);

    public IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> NamedTrainableParameters() => inner.NamedTrainableParameters();

    public void MoveTo(Device device, ScalarType? dtype = null) => inner.MoveTo(device, dtype);

    public void SetTrainingMode(bool training) => inner.SetTrainingMode(training);

    public void Save(string directory) => inner.Save(directory);

    public void Dispose()
    {
        // The test owns the wrapped model.
    }
}
