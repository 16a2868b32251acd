namespace Zephyr.Alignment.Chat;

/// <summary>Checks on the shape of a conversation that chat templates and trainers rely on.</summary>
public static class Conversation
{
    /// <summary>
    /// Verifies that <paramref name="messages"/> is an optional system message followed by user and assistant
    /// messages that alternate, starting with the user.
    /// </summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="where">Where it came from (file and row), for the error message.</param>
    /// <exception cref="FormatException">The roles are out of order; the message names the index.</exception>
    public static void ValidateAlternation(IReadOnlyList<ConversationMessage> messages, string? where = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        int start = messages.Count > 0 && messages[0].Role == MessageRole.System ? 1 : 0;
        for (int i = start; i < messages.Count; i++)
        {
            MessageRole expected = (i - start) % 2 == 0 ? MessageRole.User : MessageRole.Assistant;
            if (messages[i].Role != expected)
            {
                string prefix = where is null ? string.Empty : where + ": ";
                throw new FormatException(
                    $"{prefix}message {i} has role '{messages[i].Role.ToWireName()}' where '{expected.ToWireName()}' was expected " +
                    "(an optional system message, then alternating user and assistant messages).");
            }
        }
    }
}
