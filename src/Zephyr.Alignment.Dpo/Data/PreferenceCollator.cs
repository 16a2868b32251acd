using Zephyr.Alignment.Tokenization;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>
/// Stacks tokenized pairs into one batch as TRL's <c>DataCollatorForPreference</c> does: prompt+chosen rows, then
/// prompt+rejected rows (<c>[2B, T]</c>), right-padded to the longest sequence of the batch, not to the maximum length.
/// </summary>
/// <remarks>
/// <example>
/// With pad id 0:
/// <code>
/// var collator = new PreferenceCollator(padTokenId: 0);
/// using PreferenceBatch batch = collator.Collate(
/// [
///     new TokenizedPreference(PromptIds: [1, 2, 3], ChosenIds: [4, 5], RejectedIds: [6]),
///     new TokenizedPreference(PromptIds: [7, 8], ChosenIds: [9], RejectedIds: [10, 11]),
/// ]);
/// // batch.InputIds       batch.AttentionMask   batch.CompletionMask
/// // [[ 1,  2,  3,  4,  5], [[1, 1, 1, 1, 1],    [[0, 0, 0, 1, 1],    chosen of pair 0
/// //  [ 7,  8,  9,  0,  0],  [1, 1, 1, 0, 0],     [0, 0, 1, 0, 0],    chosen of pair 1
/// //  [ 1,  2,  3,  6,  0],  [1, 1, 1, 1, 0],     [0, 0, 0, 1, 0],    rejected of pair 0
/// //  [ 7,  8, 10, 11,  0]]  [1, 1, 1, 1, 0]]     [0, 0, 1, 1, 0]]    rejected of pair 1
/// </code>
/// </example>
/// </remarks>
public sealed class PreferenceCollator
{
    /// <summary>Creates a collator.</summary>
    /// <param name="padTokenId">The id written into padding positions (masked out by the attention mask).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="padTokenId"/> is negative.</exception>
    public PreferenceCollator(int padTokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padTokenId);
        PadTokenId = padTokenId;
    }

    /// <summary>The padding id.</summary>
    public int PadTokenId { get; }

    /// <summary>A collator padding with the tokenizer's pad token, or its eos token when it has none (as TRL does).</summary>
    /// <param name="tokenizer">The policy's tokenizer.</param>
    /// <exception cref="ArgumentException">The tokenizer has neither a pad nor an eos token.</exception>
    public static PreferenceCollator ForTokenizer(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int pad = tokenizer.PadToken?.Id ?? tokenizer.EosToken?.Id
            ?? throw new ArgumentException("The tokenizer has neither a pad nor an eos token to pad with.", nameof(tokenizer));
        return new PreferenceCollator(pad);
    }

    /// <summary>Collates <paramref name="pairs"/> into int64 tensors on <paramref name="device"/>.</summary>
    /// <param name="pairs">At least one tokenized pair.</param>
    /// <param name="device">Where the tensors go; <see langword="null"/> for the CPU.</param>
    /// <exception cref="ArgumentException">The list is empty, or a pair has an empty prompt or completion.</exception>
    public PreferenceBatch Collate(IReadOnlyList<TokenizedPreference> pairs, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("A batch needs at least one pair.", nameof(pairs));
        }

        int count = pairs.Count;
        int length = 0;
        for (int i = 0; i < count; i++)
        {
            TokenizedPreference pair = pairs[i] ?? throw new ArgumentException($"Pair {i} is null.", nameof(pairs));
            if (pair.PromptIds.Length == 0 || pair.ChosenIds.Length == 0 || pair.RejectedIds.Length == 0)
            {
                throw new ArgumentException($"Pair {i} ({pair.Source ?? "no source"}) has an empty prompt or completion.", nameof(pairs));
            }

            length = Math.Max(length, pair.MaxSequenceLength);
        }

        int rows = 2 * count;
        var ids = new long[rows * length];
        var attention = new long[rows * length];
        var completion = new long[rows * length];
        Array.Fill(ids, PadTokenId);
        for (int i = 0; i < count; i++)
        {
            TokenizedPreference pair = pairs[i];
            Write(i, pair.PromptIds, pair.ChosenIds);
            Write(count + i, pair.PromptIds, pair.RejectedIds);
        }

        long[] shape = [rows, length];
        Tensor inputIds = tensor(ids, shape, ScalarType.Int64, device);
        Tensor attentionMask = tensor(attention, shape, ScalarType.Int64, device);
        Tensor completionMask = tensor(completion, shape, ScalarType.Int64, device);
        return new PreferenceBatch(inputIds, attentionMask, completionMask, count);

        void Write(int row, int[] prompt, int[] answer)
        {
            int offset = row * length;
            for (int t = 0; t < prompt.Length; t++)
            {
                ids[offset + t] = prompt[t];
                attention[offset + t] = 1;
            }

            offset += prompt.Length;
            for (int t = 0; t < answer.Length; t++)
            {
                ids[offset + t] = answer[t];
                attention[offset + t] = 1;
                completion[offset + t] = 1;
            }
        }
    }
}
