using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Training;

/// <summary>The training loop's log events: structured fields, formatted only when the level is enabled.</summary>
internal static partial class TrainingLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information,
        Message = "Training on {Examples} examples: {TotalSteps} optimizer steps of {MicroBatches} micro-batch(es) of {BatchSize}, {StepsPerEpoch} steps per epoch, {Schedule} schedule with {WarmupSteps} warmup steps, peak learning rate {LearningRate}")]
    public static partial void TrainingStarted(
        ILogger logger, int examples, long totalSteps, int microBatches, int batchSize, int stepsPerEpoch, string schedule, long warmupSteps, double learningRate);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Resumed from {Checkpoint} at step {Step}")]
    public static partial void Resumed(ILogger logger, string checkpoint, long step);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "ResumeFromCheckpoint is 'latest' but {OutputDirectory} has no complete checkpoint; training starts fresh")]
    public static partial void NothingToResume(ILogger logger, string outputDirectory);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information,
        Message = "step {Step}/{TotalSteps} epoch {Epoch} loss {Loss} grad_norm {GradNorm} learning_rate {LearningRate} {Metrics}")]
    public static partial void StepLogged(
        ILogger logger, long step, long totalSteps, double epoch, double loss, double gradNorm, double learningRate, string metrics);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Evaluation at step {Step}: {Metrics}")]
    public static partial void Evaluated(ILogger logger, long step, string metrics);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Saved checkpoint {Checkpoint} at step {Step}")]
    public static partial void CheckpointSaved(ILogger logger, string checkpoint, long step);

    [LoggerMessage(EventId = 106, Level = LogLevel.Debug, Message = "Deleted {Checkpoint} (SaveTotalLimit {SaveTotalLimit})")]
    public static partial void CheckpointDeleted(ILogger logger, string checkpoint, int saveTotalLimit);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Deleted the unfinished checkpoint folder {Folder} left by an earlier run")]
    public static partial void TemporaryRemoved(ILogger logger, string folder);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Training cancelled after step {Step}; the state is kept in the last checkpoint")]
    public static partial void Cancelled(ILogger logger, long step);

    [LoggerMessage(EventId = 109, Level = LogLevel.Information, Message = "Training finished at step {Step} in {Seconds} s")]
    public static partial void Finished(ILogger logger, long step, double seconds);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "Step {Step} produced a non-finite loss ({Loss}); the update was still applied, as Hugging Face does")]
    public static partial void NonFiniteLoss(ILogger logger, long step, double loss);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "OverwriteOutputDirectory: deleted {Artefact}, left by an earlier run")]
    public static partial void ArtefactOverwritten(ILogger logger, string artefact);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Resuming from {Checkpoint} although {Change} (ResumeWithChangedSettings)")]
    public static partial void ResumeSettingChanged(ILogger logger, string checkpoint, string change);

    [LoggerMessage(EventId = 113, Level = LogLevel.Information, Message = "Collecting the step's garbage every {Steps} optimizer step(s): generation 0 and pending finalizers, which free TorchSharp's per-step native objects (GarbageCollectionSteps; 0 turns it off)")]
    public static partial void GarbageCollection(ILogger logger, int steps);
}
