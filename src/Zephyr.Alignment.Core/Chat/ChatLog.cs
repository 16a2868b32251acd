using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Chat;

/// <summary>The log events of chat-template selection (ids 300–309).</summary>
internal static partial class ChatLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning,
        Message = "{Source} has no chat_template; using the default '{Template}' template (the alignment-handbook's choice for base models). Select another by name to override.")]
    public static partial void DefaultTemplate(ILogger logger, string source, string template);
}
