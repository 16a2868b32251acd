using System.Text;
using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Tokenization;

/// <summary>One step of a <c>tokenizer.json</c> <c>normalizer</c>.</summary>
internal interface ITextNormalizer
{
    /// <summary>Changes <paramref name="text"/> in place.</summary>
    void Normalize(NormalizedText text);
}

/// <summary><c>Prepend</c>: puts a string before every non-empty piece (SentencePiece's dummy prefix, legacy form).</summary>
internal sealed class PrependNormalizer(string prefix) : ITextNormalizer
{
    public void Normalize(NormalizedText text)
    {
        if (text.Text.Length > 0)
        {
            text.Prepend(prefix);
        }
    }
}

/// <summary><c>Replace</c>: replaces every match of a pattern (a literal or a regex) with a fixed string.</summary>
internal sealed class ReplaceNormalizer(Regex pattern, string content) : ITextNormalizer
{
    public void Normalize(NormalizedText text) => text.Replace(pattern, content);
}

/// <summary><c>NFC</c>, <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>.</summary>
internal sealed class UnicodeNormalizer(NormalizationForm form) : ITextNormalizer
{
    public void Normalize(NormalizedText text) => text.Normalize(form);
}
