namespace Zephyr.Alignment.Chat;

/// <summary>One message of a conversation: the <c>{role, content}</c> records of Hugging Face chat datasets.</summary>
/// <param name="Role">Who wrote it.</param>
/// <param name="Content">The text, exactly as written (no trimming).</param>
public sealed record ConversationMessage(MessageRole Role, string Content)
{
    /// <summary>A system message.</summary>
    public static ConversationMessage System(string content) => new(MessageRole.System, content);

    /// <summary>A user message.</summary>
    public static ConversationMessage User(string content) => new(MessageRole.User, content);

    /// <summary>An assistant message.</summary>
    public static ConversationMessage Assistant(string content) => new(MessageRole.Assistant, content);
}
