namespace Zephyr.Alignment.Tokenization;

/// <summary>transformers' <c>clean_up_tokenization</c>, applied by <c>decode</c> when <c>clean_up_tokenization_spaces</c> is true.</summary>
internal static class TokenizationSpaces
{
    /// <summary>Removes the spaces before punctuation and English contractions that word-level tokenizers once produced.</summary>
    public static string CleanUp(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal)
        .Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal)
        .Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal)
        .Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);
}
