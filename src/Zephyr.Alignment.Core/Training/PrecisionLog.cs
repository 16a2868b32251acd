using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Training;

/// <summary>Log events of mixed-precision training and gradient checkpointing.</summary>
internal static partial class PrecisionLog
{
    [LoggerMessage(EventId = 130, Level = LogLevel.Information,
        Message = "Mixed precision: the policy was {From} and is converted to {To} for training; its {From} weights become the float32 masters")]
    public static partial void Converted(ILogger logger, string from, string to);

    [LoggerMessage(EventId = 131, Level = LogLevel.Information,
        Message = "Mixed precision: forward and backward in {DType}, float32 master weights for {Masters} of {Trainable} trainable tensors ({MegaBytes:F1} MB on {Device}), dynamic loss scaling {LossScaling}")]
    public static partial void MastersCreated(ILogger logger, string dtype, int masters, int trainable, double megaBytes, string device, bool lossScaling);

    [LoggerMessage(EventId = 132, Level = LogLevel.Warning,
        Message = "Step {Step}: float16 gradients overflowed (grad_norm {GradNorm}); the update was skipped and the loss scale lowered to {Scale}, as torch.amp.GradScaler does")]
    public static partial void StepSkipped(ILogger logger, long step, double gradNorm, double scale);

    [LoggerMessage(EventId = 133, Level = LogLevel.Information, Message = "Gradient checkpointing on: each decoder layer is recomputed in the backward pass")]
    public static partial void CheckpointingOn(ILogger logger);
}
