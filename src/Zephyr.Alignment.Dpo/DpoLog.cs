using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Dpo;

/// <summary>The DPO trainer's log events (200–219): structured fields, formatted only when the level is enabled.</summary>
internal static partial class DpoLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information,
        Message = "Tokenized {Split} data {Source}: {Kept} pairs kept ({Truncated} truncated), {Dropped} dropped, {Skipped} invalid rows skipped")]
    public static partial void DatasetTokenized(ILogger logger, string split, string source, int kept, int truncated, int dropped, int skipped);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "{Split} data {Source}: {Report}")]
    public static partial void DatasetReport(ILogger logger, string split, string source, string report);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Chat template {Template} ({Reason})")]
    public static partial void ChatTemplateChosen(ILogger logger, string template, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information,
        Message = "Policy on {PolicyDevice} ({PolicyDType}); frozen reference on {ReferenceDevice} ({ReferenceDType}), {Parameters} parameter tensors with requires_grad off")]
    public static partial void ModelsReady(ILogger logger, string policyDevice, string policyDType, string referenceDevice, string referenceDType, int parameters);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Precomputing reference log-probs of {Count} {Split} pairs in batches of {BatchSize}")]
    public static partial void PrecomputeStarted(ILogger logger, int count, string split, int batchSize);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Precomputed reference log-probs of {Count} {Split} pairs in {Seconds} s")]
    public static partial void PrecomputeFinished(ILogger logger, int count, string split, double seconds);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Read the reference log-probs of {Count} {Split} pairs from {Path}")]
    public static partial void CacheHit(ILogger logger, int count, string split, string path);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Ignoring the reference log-prob cache {Path}: {Problem}; recomputing")]
    public static partial void CacheUnusable(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "Wrote the reference log-probs of the {Split} pairs to {Path}")]
    public static partial void CacheWritten(ILogger logger, string split, string path);

    [LoggerMessage(EventId = 209, Level = LogLevel.Information, Message = "Released the reference model: training uses the precomputed reference log-probs")]
    public static partial void ReferenceReleased(ILogger logger);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Saved the final model to {Directory}")]
    public static partial void FinalModelSaved(ILogger logger, string directory);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void DeviceFallback(ILogger logger, string warning);

    [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "Loss {Loss} with beta {Beta}")]
    public static partial void LossChosen(ILogger logger, string loss, double beta);

    [LoggerMessage(EventId = 213, Level = LogLevel.Information, Message = "Dropout is off for training (DisableDropout, as TRL's disable_dropout)")]
    public static partial void DropoutDisabled(ILogger logger);

    [LoggerMessage(EventId = 214, Level = LogLevel.Warning,
        Message = "DisableDropout is true but the policy ({Policy}) cannot switch its dropout off (IConfigurableDropout); any dropout it has stays active")]
    public static partial void DropoutNotConfigurable(ILogger logger, string policy);

    [LoggerMessage(EventId = 215, Level = LogLevel.Warning,
        Message = "PrefixSharing is on, but the {Role} computes the unshared [chosen; rejected] rows (the prompt twice) {When}: {Reason}")]
    public static partial void PrefixSharingFallback(ILogger logger, string role, string when, string reason);

    [LoggerMessage(EventId = 216, Level = LogLevel.Information,
        Message = "PrefixSharing: each pair is one [prompt; chosen; rejected] row, the prompt computed once by the policy and the {Reference}")]
    public static partial void PrefixSharingOn(ILogger logger, string reference);

    [LoggerMessage(EventId = 230, Level = LogLevel.Information,
        Message = "The reference is the policy with its LoRA adapters disabled: no second model is loaded ({Frozen} frozen base parameters shared)")]
    public static partial void AdapterDisabledReference(ILogger logger, long frozen);
}
