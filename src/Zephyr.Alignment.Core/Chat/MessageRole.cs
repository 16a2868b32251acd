namespace Zephyr.Alignment.Chat;

/// <summary>Who wrote a message in a conversation, as the Hugging Face datasets name it (<c>role</c>).</summary>
public enum MessageRole
{
    /// <summary><c>system</c>: instructions that frame the conversation.</summary>
    System,

    /// <summary><c>user</c>: the human (or the prompt).</summary>
    User,

    /// <summary><c>assistant</c>: the model; the text a chat model learns to write.</summary>
    Assistant,
}
