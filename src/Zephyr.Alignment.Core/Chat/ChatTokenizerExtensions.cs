using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Chat;

/// <summary>Renders conversations with a chat template and tokenizes them with an assistant mask, for SFT.</summary>
public static class ChatTokenizerExtensions
{
    /// <summary>
    /// Renders <paramref name="messages"/> with <paramref name="template"/> using the tokenizer's bos/eos strings,
    /// encodes the text, and marks the tokens of assistant turns.
    /// </summary>
    /// <remarks>
    /// <para><b>Special tokens are never added twice.</b> When the rendered text starts with the tokenizer's bos
    /// (Llama-2, Mistral and Llama-3 templates write it), the text is encoded with <c>addSpecialTokens: false</c>,
    /// as transformers' <c>apply_chat_template(tokenize=True)</c> and TRL's SFT do. Otherwise (Zephyr, ChatML) it
    /// is encoded with <c>addSpecialTokens: true</c>, so the tokenizer adds bos when its configuration says so, as
    /// the alignment-handbook's SFT did when it tokenized the rendered Zephyr text.</para>
    /// <para>The mask comes from <see cref="EncodedText.Offsets"/>: a token is an assistant token when its character
    /// range overlaps an assistant span. Overlap, not containment, because a token can straddle the boundary
    /// (SentencePiece's <c>▁Hi</c> after <c>[/INST]</c> holds the prompt's space and the answer's first
    /// letters), and the model must learn to emit that token. Added tokens (empty ranges) are never assistant
    /// tokens.</para>
    /// <example>
    /// <code>
    /// TokenizedChat chat = tokenizer.EncodeChat(ChatTemplates.Default.Get("zephyr"), messages);
    /// // chat.InputIds[i] contributes to the loss when chat.AssistantMask[i] is true.
    /// </code>
    /// </example>
    /// </remarks>
    /// <param name="tokenizer">The checkpoint's tokenizer.</param>
    /// <param name="template">The chat format.</param>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">Append the template's generation prompt (for inference prompts).</param>
    /// <exception cref="FormatException">The template cannot express the conversation.</exception>
    /// <exception cref="InvalidOperationException">The tokenizer returned a different number of ids and offsets.</exception>
    public static TokenizedChat EncodeChat(
        this ITokenizer tokenizer,
        IChatTemplate template,
        IReadOnlyList<ConversationMessage> messages,
        bool addGenerationPrompt = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(messages);
        var options = new ChatRenderOptions
        {
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = tokenizer.BosToken?.Text ?? string.Empty,
            EosToken = tokenizer.EosToken?.Text ?? string.Empty,
        };
        RenderedChat rendered = template.Render(messages, options);
        bool addSpecialTokens = !tokenizer.StartsWithBos(rendered.Text);
        EncodedText encoded = tokenizer.EncodePrompt(rendered.Text);
        if (encoded.Ids.Count != encoded.Offsets.Count)
        {
            throw new InvalidOperationException(
                $"The tokenizer returned {encoded.Ids.Count} ids but {encoded.Offsets.Count} offsets.");
        }

        bool[] mask = AssistantMask(encoded.Offsets, rendered.Text.Length, rendered.AssistantSpans);
        return new TokenizedChat(encoded.Ids.ToArray(), mask, rendered, addSpecialTokens);
    }

    /// <summary>
    /// Per token, whether its character range (<paramref name="offsets"/>, relative to a text of
    /// <paramref name="textLength"/> characters) overlaps one of <paramref name="spans"/>.
    /// </summary>
    /// <param name="offsets">Per token, the characters it covers; empty ranges (added tokens) are never marked.</param>
    /// <param name="textLength">Length of the text the offsets refer to.</param>
    /// <param name="spans">Assistant spans, sorted by start and not overlapping, as templates return them.</param>
    public static bool[] AssistantMask(IReadOnlyList<Range> offsets, int textLength, IReadOnlyList<ChatSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentOutOfRangeException.ThrowIfNegative(textLength);
        var mask = new bool[offsets.Count];
        for (int t = 0; t < offsets.Count; t++)
        {
            (int start, int length) = offsets[t].GetOffsetAndLength(textLength);
            mask[t] = length > 0 && Overlaps(spans, start, start + length);
        }

        return mask;
    }

    private static bool Overlaps(IReadOnlyList<ChatSpan> spans, int start, int end)
    {
        // Binary search for the first span that ends after the token starts; it overlaps when it starts before the token ends.
        int lo = 0;
        int hi = spans.Count;
        while (lo < hi)
        {
            int mid = lo + ((hi - lo) / 2);
            if (spans[mid].End <= start)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo < spans.Count && spans[lo].Start < end && spans[lo].Length > 0;
    }
}
