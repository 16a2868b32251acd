namespace Zephyr.Alignment.Chat;

/// <summary>
/// Turns a conversation into the exact text a chat model was trained on, and says which characters are
/// assistant output (the part supervised fine-tuning learns from).
/// </summary>
/// <remarks>
/// Implementations must be pure: the same messages and options always give the same text. Templates are
/// selected by <see cref="Name"/> through <see cref="ChatTemplates"/>; register your own there to replace one.
/// </remarks>
public interface IChatTemplate
{
    /// <summary>The name the template is selected by, e.g. <c>zephyr</c> or <c>chatml</c>.</summary>
    string Name { get; }

    /// <summary>Renders <paramref name="messages"/>.</summary>
    /// <param name="messages">The conversation: an optional system message, then user/assistant turns.</param>
    /// <param name="options">Special-token strings and whether to append the generation prompt.</param>
    /// <returns>The text and the spans of assistant content (each including its end-of-turn marker).</returns>
    /// <exception cref="FormatException">The conversation cannot be expressed in this template.</exception>
    RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null);
}
