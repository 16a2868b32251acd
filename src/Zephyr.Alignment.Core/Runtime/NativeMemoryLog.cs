using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Runtime;

/// <summary>Log events of the native allocator policy.</summary>
internal static partial class NativeMemoryLog
{
    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Native allocator ({Platform}): set {Settings} (NativeMemoryOptions; keeps resident memory flat)")]
    public static partial void Applied(ILogger logger, string platform, string settings);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "Native allocator ({Platform}): skipped {Reason}")]
    public static partial void Skipped(ILogger logger, string platform, string reason);

    [LoggerMessage(EventId = 902, Level = LogLevel.Warning, Message = "Native allocator ({Platform}): not set {Reason}; resident memory may grow during training (docs/troubleshooting.md)")]
    public static partial void Failed(ILogger logger, string platform, string reason);
}
