namespace Zephyr.Alignment.Chat;

/// <summary>A conversation rendered and tokenized for supervised fine-tuning.</summary>
/// <param name="InputIds">Token ids of the rendered text.</param>
/// <param name="AssistantMask">
/// Per id, <see langword="true"/> when the token covers at least one character of an assistant span (assistant
/// content and its end-of-turn marker); the tokens assistant-only loss is computed on.
/// </param>
/// <param name="Rendered">The rendered text and its assistant spans.</param>
/// <param name="SpecialTokensAdded">
/// Whether the tokenizer was asked to add its special tokens (<see langword="false"/> when the template already
/// wrote bos).
/// </param>
public sealed record TokenizedChat(
    IReadOnlyList<int> InputIds,
    IReadOnlyList<bool> AssistantMask,
    RenderedChat Rendered,
    bool SpecialTokensAdded);
