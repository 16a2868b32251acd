using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>The tool's own log events.</summary>
internal static partial class CliLog
{
    [LoggerMessage(EventId = 900, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void ConfigurationWarning(ILogger logger, string warning);
}
