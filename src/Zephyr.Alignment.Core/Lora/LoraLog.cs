using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Lora;

/// <summary>LoRA set-up events of the trainers.</summary>
internal static partial class LoraLog
{
    [LoggerMessage(EventId = 160, Level = LogLevel.Information, Message = "LoRA adapters added: {Config}")]
    public static partial void AdaptersAdded(ILogger logger, string config);

    [LoggerMessage(EventId = 161, Level = LogLevel.Information, Message = "LoRA adapter loaded from {Path} for further training: {Config}")]
    public static partial void AdapterLoaded(ILogger logger, string path, string config);

    [LoggerMessage(EventId = 162, Level = LogLevel.Warning,
        Message = "The adapter {Path} has its own settings, which replace the Lora* options: {Differences}")]
    public static partial void OptionsOverriddenByAdapter(ILogger logger, string path, string differences);

    [LoggerMessage(EventId = 163, Level = LogLevel.Warning,
        Message = "The policy already carries LoRA adapters; they are trained as they are and these Lora* options are not applied: {Differences}")]
    public static partial void AdaptersAlreadyPresent(ILogger logger, string differences);

    [LoggerMessage(EventId = 164, Level = LogLevel.Information, Message = "Training {Trainable} adapter parameters; {Frozen} base parameters are frozen")]
    public static partial void TrainableParameters(ILogger logger, long trainable, long frozen);

    [LoggerMessage(EventId = 165, Level = LogLevel.Information, Message = "Saved the model with the LoRA adapters merged to {Path}")]
    public static partial void MergedSaved(ILogger logger, string path);
}
