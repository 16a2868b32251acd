using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Dpo.Trainer;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>A resume continues the run that wrote the checkpoint, or says what differs; stateful losses resume exactly.</summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class ResumeSettingsTests
{
    private static TrainingOptions Options(string output)
    {
        TrainingOptions options = TinyTraining.Options(output);
        options.MaxSteps = 4;
        options.WarmupRatio = 0.25;
        return options;
    }

    private static TrainingResult Run(TrainingOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        using CausalLanguageModel model = TinyTraining.Model();
        return new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(8)), options, logger: logger).Run(cancellationToken);
    }

    [Theory]
    [InlineData("MaxSteps", "the total steps (MaxSteps or NumTrainEpochs) was 2 and is now 6")]
    [InlineData("LrSchedulerType", "LrSchedulerType was cosine and is now linear")]
    [InlineData("WarmupSteps", "the warmup steps (WarmupSteps or WarmupRatio) was 1 and is now 2")]
    [InlineData("LearningRate", "LearningRate was 0.01 and is now 0.02")]
    [InlineData("PerDeviceTrainBatchSize", "PerDeviceTrainBatchSize was 2 and is now 4")]
    public void A_resume_with_a_changed_schedule_or_batch_layout_is_refused_naming_the_change(string option, string message)
    {
        using var folder = new TempDirectory();
        TrainingOptions first = Options(folder.Path);
        first.MaxSteps = 2;
        first.WarmupSteps = 1;
        Run(first);

        TrainingOptions resumed = Options(folder.Path);
        resumed.MaxSteps = 2;
        resumed.WarmupSteps = 1;
        resumed.ResumeFromCheckpoint = "latest";
        switch (option)
        {
            case "MaxSteps": resumed.MaxSteps = 6; break;
            case "LrSchedulerType": resumed.LrSchedulerType = LrSchedulerTypes.Linear; break;
            case "WarmupSteps": resumed.WarmupSteps = 2; break;
            case "LearningRate": resumed.LearningRate = 2e-2; break;
            case "PerDeviceTrainBatchSize": resumed.PerDeviceTrainBatchSize = 4; break;
        }

        var error = Assert.Throws<InvalidOperationException>(() => Run(resumed));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("ResumeWithChangedSettings", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResumeWithChangedSettings_continues_and_logs_each_change_at_warning()
    {
        using var folder = new TempDirectory();
        TrainingOptions first = Options(folder.Path);
        first.MaxSteps = 2;
        Run(first);
        TrainingOptions longer = Options(folder.Path);
        longer.MaxSteps = 3;
        longer.ResumeFromCheckpoint = "latest";
        longer.ResumeWithChangedSettings = true;
        var logs = new Sft.RecordingLogger<ResumeSettingsTests>();

        TrainingResult result = Run(longer, logs);

        Assert.Equal(3, result.GlobalStep);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("MaxSteps", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_legacy_bco_pair_running_mean_is_checkpointed_so_a_resumed_run_ends_bit_identical()
    {
        using var straight = new TempDirectory();
        using var interrupted = new TempDirectory();
        var pairs = SyntheticPreferences.Pairs(16, seed: 4);
        DpoOptions BcoOptions(string output)
        {
            DpoOptions options = SyntheticPreferences.Options(output);
            options.MaxSteps = 4;
            options.LearningRate = 1e-2;
            options.LossType = ["bco_pair"];
            options.LegacyLosses = true;
            return options;
        }

        Dictionary<string, byte[]> expected;
        using (CausalLanguageModel policy = SyntheticPreferences.Model())
        using (var trainer = new DpoTrainer(policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(pairs), BcoOptions(straight.Path)))
        {
            await trainer.TrainAsync();
            expected = TinyTraining.Snapshot(policy);
        }

        using var cancellation = new CancellationTokenSource();
        var stopper = new Dpo.Trainer.RecordingCallback(p => { if (p.GlobalStep == 2) { cancellation.Cancel(); } });
        using (CausalLanguageModel policy = SyntheticPreferences.Model())
        using (var trainer = new DpoTrainer(policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(pairs), BcoOptions(interrupted.Path), callbacks: [stopper]))
        {
            Assert.Equal(2, (await trainer.TrainAsync(cancellation.Token)).GlobalStep);
        }

        using (CausalLanguageModel policy = SyntheticPreferences.Model())
        {
            DpoOptions options = BcoOptions(interrupted.Path);
            options.ResumeFromCheckpoint = "latest";
            using var trainer = new DpoTrainer(policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(pairs), options);
            await trainer.TrainAsync();
            TinyTraining.AssertBitIdentical(expected, policy);
        }
    }
}
