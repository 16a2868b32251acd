using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Sft;

/// <summary>The log events of the SFT trainer (ids 200–209; the training loop uses 100–110).</summary>
internal static partial class SftLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Chat template {Template} ({How})")]
    public static partial void TemplateSelected(ILogger logger, string template, string how);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information,
        Message = "{Split} data {File}: {Kept} examples kept ({Truncated} truncated to MaxLength {MaxLength}), {Dropped} dropped, {Skipped} invalid rows skipped")]
    public static partial void DataRead(ILogger logger, string split, string file, int kept, int truncated, int maxLength, int dropped, int skipped);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "{Split} data {File}: {Count} invalid rows skipped; first reasons: {Reasons}")]
    public static partial void RowsSkipped(ILogger logger, string split, string file, int count, string reasons);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "{Split} data {File}: {Count} examples dropped; first reasons: {Reasons}")]
    public static partial void ExamplesDropped(ILogger logger, string split, string file, int count, string reasons);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information,
        Message = "{Split} data packed: {Examples} examples ({Tokens} tokens) in {Rows} rows of at most {MaxLength} tokens; padding {UnpackedPadding:P1} unpacked → {PackedPadding:P1} packed, {Saved:P1} of all positions saved")]
    public static partial void Packed(ILogger logger, string split, int examples, long tokens, int rows, int maxLength, double unpackedPadding, double packedPadding, double saved);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information,
        Message = "{Split} data not packed: {Examples} examples ({Tokens} tokens), batches padded to their longest example: padding {UnpackedPadding:P1} (packing would make it {PackedPadding:P1})")]
    public static partial void NotPacked(ILogger logger, string split, int examples, long tokens, double unpackedPadding, double packedPadding);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Loading the model from {Path}")]
    public static partial void LoadingModel(ILogger logger, string path);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "Final model saved to {Path}")]
    public static partial void FinalModelSaved(ILogger logger, string path);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "Training stopped at step {Step} before the end; no final model written (the checkpoint {Checkpoint} holds the model)")]
    public static partial void NoFinalModel(ILogger logger, long step, string? checkpoint);
}
