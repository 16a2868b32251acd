namespace Zephyr.Alignment.Chat;

/// <summary>A conversation rendered by an <see cref="IChatTemplate"/>.</summary>
/// <param name="Text">The full text, ready to tokenize with special tokens recognised.</param>
/// <param name="AssistantSpans">
/// Character spans of assistant content in <paramref name="Text"/>, in order, each followed by (and including)
/// the end-of-turn marker the model must learn to emit, such as <c>&lt;/s&gt;</c>.
/// </param>
public sealed record RenderedChat(string Text, IReadOnlyList<ChatSpan> AssistantSpans);
