namespace Zephyr.Alignment.Chat;

/// <summary>Argument checks shared by the built-in templates.</summary>
internal static class ChatGuard
{
    /// <summary>Rejects a null or empty conversation, null messages, null content and undefined roles.</summary>
    public static void CheckMessages(IReadOnlyList<ConversationMessage> messages, string paramName)
    {
        ArgumentNullException.ThrowIfNull(messages, paramName);
        if (messages.Count == 0)
        {
            throw new ArgumentException("The conversation has no messages.", paramName);
        }

        for (int i = 0; i < messages.Count; i++)
        {
            ConversationMessage? message = messages[i];
            if (message is null)
            {
                throw new ArgumentException($"Message {i} is null.", paramName);
            }

            if (message.Content is null)
            {
                throw new ArgumentException($"Message {i} has null content.", paramName);
            }

            if (!Enum.IsDefined(message.Role))
            {
                throw new ArgumentException($"Message {i} has an undefined role ({(int)message.Role}).", paramName);
            }
        }
    }

    /// <summary>Refuses the options only <see cref="JinjaChatTemplate"/> can use (tools, documents, extra variables).</summary>
    public static void RejectJinjaOnlyOptions(ChatRenderOptions? options, string templateName)
    {
        if (options is not null && (options.Tools is not null || options.Documents is not null || options.Variables.Count > 0))
        {
            throw new NotSupportedException(
                $"The hand-written '{templateName}' template takes no tools, documents or extra variables; render the checkpoint's Jinja chat_template with {nameof(JinjaChatTemplate)} instead.");
        }
    }

    /// <summary>Throws when any message is a system message, for formats that have no place for one.</summary>
    public static void RejectSystemMessages(IReadOnlyList<ConversationMessage> messages, string templateName)
    {
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role == MessageRole.System)
            {
                throw new FormatException(
                    $"message {i} has role 'system', which the '{templateName}' template does not support " +
                    "(only user and assistant messages, alternating, starting with the user).");
            }
        }
    }
}
