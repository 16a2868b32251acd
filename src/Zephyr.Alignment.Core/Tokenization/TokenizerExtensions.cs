namespace Zephyr.Alignment.Tokenization;

/// <summary>Encoding rules shared by chat rendering, SFT and DPO tokenization.</summary>
public static class TokenizerExtensions
{
    /// <summary>True when <paramref name="text"/> already begins with the tokenizer's bos string (a template wrote it).</summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="text">The text to be encoded.</param>
    public static bool StartsWithBos(this ITokenizer tokenizer, string text)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(text);
        return tokenizer.BosToken is { Text.Length: > 0 } bos && text.StartsWith(bos.Text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Encodes the start of a sequence (a prompt): with the tokenizer's special tokens, unless the text already
    /// begins with bos, so bos is never added twice. Templates such as Llama-2's write bos themselves; Zephyr's
    /// and ChatML's do not, and the tokenizer adds it when its configuration says so.
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="text">The prompt text.</param>
    public static EncodedText EncodePrompt(this ITokenizer tokenizer, string text)
        => tokenizer.Encode(text, addSpecialTokens: !tokenizer.StartsWithBos(text));
}
