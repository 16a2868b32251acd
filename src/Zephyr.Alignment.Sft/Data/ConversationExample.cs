using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Sft.Data;

/// <summary>
/// One supervised fine-tuning example: a conversation (<c>ultrachat_200k</c>'s <c>messages</c>) or a plain
/// prompt/completion pair (TRL's "standard" prompt-completion form).
/// </summary>
public sealed record ConversationExample
{
    /// <summary>The conversation: an optional system message, then alternating user and assistant messages; <see langword="null"/> for a plain pair.</summary>
    public IReadOnlyList<ConversationMessage>? Messages { get; init; }

    /// <summary>The prompt of a plain pair, tokenized as is without a chat template; <see langword="null"/> for a conversation.</summary>
    public string? PromptText { get; init; }

    /// <summary>The completion of a plain pair (the tokens the loss is on); <see langword="null"/> for a conversation.</summary>
    public string? CompletionText { get; init; }

    /// <summary>The dataset's <c>prompt_id</c>, if any.</summary>
    public string? PromptId { get; init; }

    /// <summary>Where the example was read from (file and row or line).</summary>
    public string? Source { get; init; }

    /// <summary>Whether this is a conversation (<see cref="Messages"/> set) rather than a plain pair.</summary>
    public bool IsConversational => Messages is not null;
}
