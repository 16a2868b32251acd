using Zephyr.Alignment.Sft.Data;

namespace Zephyr.Alignment.Sft.Masking;

/// <summary>
/// Chooses the tokens the SFT loss is computed on, with TRL's two switches: <c>assistant_only_loss</c> for
/// conversations and <c>completion_only_loss</c> for prompt/completion pairs; and turns a mask into labels.
/// </summary>
/// <remarks>
/// <para>
/// Labels stay unshifted: <c>labels[t]</c> is the token at <c>t</c> (or <see cref="IgnoreIndex"/>), and the loss shifts
/// once, comparing the logits at <c>t</c> with <c>labels[t + 1]</c> (see <see cref="SftObjective"/>).
/// </para>
/// <example>
/// A Zephyr conversation <c>&lt;|user|&gt;\nHi&lt;/s&gt;\n&lt;|assistant|&gt;\nHello&lt;/s&gt;</c> tokenized as
/// <code>
/// ids    = [  1, 529, 29989, ..., 15043,   2]      // bos, "&lt;|user|&gt;" pieces, ..., "Hello", eos
/// mask   = [  F,   F,     F, ...,     T,   T]      // assistant content and its eos
/// labels = [-100, -100, -100, ..., 15043,   2]     // LossMask.Labels(ids, mask)
/// </code>
/// </example>
/// </remarks>
/// <param name="assistantOnlyLoss">
/// Conversations: loss on assistant tokens only (each assistant turn with its eos) when true, on every token when false.
/// </param>
/// <param name="completionOnlyLoss">
/// Prompt/completion pairs: loss on the completion (and its eos) only when true, on prompt and completion when false.
/// </param>
public sealed class LossMask(bool assistantOnlyLoss = true, bool completionOnlyLoss = true)
{
    /// <summary>The label of a position that adds nothing to the loss: -100, PyTorch's <c>ignore_index</c> default.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>Whether conversations are trained on assistant tokens only.</summary>
    public bool AssistantOnlyLoss { get; } = assistantOnlyLoss;

    /// <summary>Whether prompt/completion pairs are trained on the completion only.</summary>
    public bool CompletionOnlyLoss { get; } = completionOnlyLoss;

    /// <summary>Returns <paramref name="tokenized"/> with the loss mask this policy selects.</summary>
    /// <param name="tokenized">The example's ids and its assistant (or completion) mask, from <see cref="ConversationTokenizer"/>.</param>
    /// <param name="isConversational">Whether the example is a conversation (<see cref="ConversationExample.IsConversational"/>).</param>
    /// <returns>The same example when the mask is kept, otherwise a copy whose mask covers every token.</returns>
    public TokenizedConversation Apply(TokenizedConversation tokenized, bool isConversational)
    {
        ArgumentNullException.ThrowIfNull(tokenized);
        bool keepMask = isConversational ? AssistantOnlyLoss : CompletionOnlyLoss;
        if (keepMask)
        {
            return tokenized;
        }

        bool[] everything = new bool[tokenized.InputIds.Length];
        everything.AsSpan().Fill(true);
        return tokenized with { CompletionMask = everything };
    }

    /// <summary>
    /// The unshifted labels of one example: the token id where <paramref name="mask"/> is true, <see cref="IgnoreIndex"/>
    /// elsewhere, and always <see cref="IgnoreIndex"/> at the first token.
    /// </summary>
    /// <remarks>
    /// Nothing in the example precedes its first token, so that token is never a target; ignoring it explicitly keeps a
    /// packed row from training the last token of one example to predict the first token of the next.
    /// </remarks>
    /// <param name="ids">Token ids.</param>
    /// <param name="mask">Per id, whether it is in the loss.</param>
    /// <exception cref="ArgumentException">The two lengths differ.</exception>
    public static long[] Labels(ReadOnlySpan<int> ids, ReadOnlySpan<bool> mask)
    {
        if (ids.Length != mask.Length)
        {
            throw new ArgumentException($"The mask has {mask.Length} entries for {ids.Length} ids.", nameof(mask));
        }

        var labels = new long[ids.Length];
        for (int t = 0; t < ids.Length; t++)
        {
            labels[t] = t > 0 && mask[t] ? ids[t] : IgnoreIndex;
        }

        return labels;
    }
}
