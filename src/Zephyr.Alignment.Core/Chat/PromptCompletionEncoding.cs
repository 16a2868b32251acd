using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Chat;

/// <summary>
/// Tokenizes a completion in its context, as TRL 1.x does for DPO and prompt-completion SFT: the whole text (or the
/// whole rendered conversation) is encoded once and split where the prompt ends, so the completion's ids are the ones
/// the model reads and writes after that prompt in a chat and in generation.
/// </summary>
/// <remarks>
/// <para>Encoding the completion on its own gives other ids: with SentencePiece, "The answer" alone becomes
/// <c>▁The …</c>, while after <c>&lt;|assistant|&gt;\n</c> it is <c>The …</c>. TRL splits at the number of ids of the
/// separately encoded prompt and warns when they are not a prefix; here the split is by characters, from the
/// encoding's offsets, so <c>[.. Prompt, .. Completion]</c> always equals the ids of the whole text.</para>
/// <para>The whole text is encoded by <see cref="TokenizerExtensions.EncodePrompt"/>: with the tokenizer's special
/// tokens (bos) unless the text already begins with bos, so bos is never doubled. A token that straddles the
/// boundary (it holds the prompt's last characters and the completion's first) belongs to the completion: the model
/// must learn to emit it.</para>
/// </remarks>
public static class PromptCompletionEncoding
{
    /// <summary>Encodes <paramref name="prompt"/> + <paramref name="completion"/> once and splits at the prompt's end.</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="prompt">The prompt text.</param>
    /// <param name="completion">The completion text, appended to the prompt as is.</param>
    /// <returns>The prompt and completion ids.</returns>
    public static PromptCompletionIds EncodeInContext(this ITokenizer tokenizer, string prompt, string completion)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(completion);
        return Split(tokenizer, prompt + completion, prompt.Length);
    }

    /// <summary>
    /// Renders <paramref name="prompt"/> followed by an assistant turn holding <paramref name="completion"/> with
    /// <paramref name="template"/>, encodes it once as <see cref="ChatTokenizerExtensions.EncodeChat"/> does, and splits
    /// where the prompt rendered with the generation prompt ends. The completion thus holds what the template writes
    /// for the turn, its end of turn included (Zephyr: <c>{completion}&lt;/s&gt;\n</c>).
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="template">The chat format.</param>
    /// <param name="prompt">The conversation before the completion (ending with a user turn).</param>
    /// <param name="completion">The assistant's answer.</param>
    /// <returns>The prompt and completion ids; together they equal <c>EncodeChat(prompt + [assistant: completion]).InputIds</c>.</returns>
    /// <exception cref="FormatException">
    /// The template cannot express the conversation, or it renders the prompt differently when an answer follows, so
    /// there is no boundary to split at.
    /// </exception>
    public static PromptCompletionIds EncodeChatInContext(
        this ITokenizer tokenizer, IChatTemplate template, IReadOnlyList<ConversationMessage> prompt, string completion)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(completion);
        ChatRenderOptions Options(bool generationPrompt) => new()
        {
            AddGenerationPrompt = generationPrompt,
            BosToken = tokenizer.BosToken?.Text ?? string.Empty,
            EosToken = tokenizer.EosToken?.Text ?? string.Empty,
        };
        string promptText = template.Render(prompt, Options(true)).Text;
        string fullText = template.Render([.. prompt, new ConversationMessage(MessageRole.Assistant, completion)], Options(false)).Text;
        if (!fullText.StartsWith(promptText, StringComparison.Ordinal))
        {
            throw new FormatException(
                $"The '{template.Name}' chat template renders the prompt differently when an answer follows it, so the completion cannot be split from the prompt.");
        }

        return Split(tokenizer, fullText, promptText.Length);
    }

    /// <summary>
    /// The index of the first token of the completion in an encoding of a text whose prompt ends at character
    /// <paramref name="boundary"/>: the first token that ends after the boundary, or an inserted token (empty range) at
    /// or after it.
    /// </summary>
    /// <param name="offsets">Per token, its characters (<see cref="EncodedText.Offsets"/>).</param>
    /// <param name="textLength">The length of the encoded text.</param>
    /// <param name="boundary">Where the prompt ends, in characters.</param>
    /// <returns>The number of prompt tokens.</returns>
    public static int SplitIndex(IReadOnlyList<Range> offsets, int textLength, int boundary)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentOutOfRangeException.ThrowIfNegative(boundary);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(boundary, textLength);
        for (int t = 0; t < offsets.Count; t++)
        {
            (int start, int length) = offsets[t].GetOffsetAndLength(textLength);

            // An inserted bos sits at 0 and stays with the prompt; an inserted eos at the end goes with the completion.
            if (length > 0 ? start + length > boundary : start >= boundary && start > 0)
            {
                return t;
            }
        }

        return offsets.Count;
    }

    private static PromptCompletionIds Split(ITokenizer tokenizer, string text, int boundary)
    {
        EncodedText encoded = tokenizer.EncodePrompt(text);
        if (encoded.Ids.Count != encoded.Offsets.Count)
        {
            throw new InvalidOperationException($"The tokenizer returned {encoded.Ids.Count} ids but {encoded.Offsets.Count} offsets.");
        }

        int split = SplitIndex(encoded.Offsets, text.Length, boundary);
        int[] ids = [.. encoded.Ids];
        return new PromptCompletionIds(ids[..split], ids[split..]);
    }
}
