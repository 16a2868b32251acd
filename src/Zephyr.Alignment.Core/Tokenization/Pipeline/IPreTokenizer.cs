using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Tokenization;

/// <summary>One step of a <c>tokenizer.json</c> <c>pre_tokenizer</c> in the SentencePiece-style form.</summary>
internal interface IPreTokenizer
{
    /// <summary>Splits (and may change) <paramref name="piece"/>, adding the non-empty results to <paramref name="output"/>.</summary>
    void PreTokenize(NormalizedText piece, List<NormalizedText> output);
}

/// <summary>What a <c>Split</c> pre-tokenizer does with the matches of its pattern (tokenizers' <c>SplitDelimiterBehavior</c>).</summary>
internal enum SplitBehavior
{
    /// <summary>Matches are dropped.</summary>
    Removed,

    /// <summary>Each match is a piece of its own.</summary>
    Isolated,

    /// <summary>A match is joined to the piece before it.</summary>
    MergedWithPrevious,

    /// <summary>A match is joined to the piece after it.</summary>
    MergedWithNext,

    /// <summary>Consecutive matches are one piece.</summary>
    Contiguous,
}

/// <summary><c>Split</c> (and <c>Digits</c>): splits on a pattern's matches, as tokenizers' <c>NormalizedString::split</c> does.</summary>
internal sealed class SplitPreTokenizer(Regex pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public void PreTokenize(NormalizedText piece, List<NormalizedText> output)
    {
        string text = piece.Text;
        var parts = new List<(int Start, int End, bool IsMatch)>();
        int position = 0;
        foreach (ValueMatch match in pattern.EnumerateMatches(text))
        {
            if (match.Length == 0)
            {
                continue;
            }

            if (match.Index > position)
            {
                parts.Add((position, match.Index, invert));
            }

            parts.Add((match.Index, match.Index + match.Length, !invert));
            position = match.Index + match.Length;
        }

        if (position < text.Length)
        {
            parts.Add((position, text.Length, invert));
        }

        foreach ((int start, int end) in Combine(parts))
        {
            if (end > start)
            {
                output.Add(piece.Slice(start, end - start));
            }
        }
    }

    private List<(int Start, int End)> Combine(List<(int Start, int End, bool IsMatch)> parts)
    {
        var result = new List<(int Start, int End)>(parts.Count);
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Removed:
                result.AddRange(parts.Where(part => !part.IsMatch).Select(part => (part.Start, part.End)));
                break;
            case SplitBehavior.Isolated:
                result.AddRange(parts.Select(part => (part.Start, part.End)));
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach ((int start, int end, bool isMatch) in parts)
                {
                    if (isMatch && !previousMatch && result.Count > 0)
                    {
                        result[^1] = (result[^1].Start, end);
                    }
                    else
                    {
                        result.Add((start, end));
                    }

                    previousMatch = isMatch;
                }

                break;
            case SplitBehavior.MergedWithNext:
                for (int i = parts.Count - 1; i >= 0; i--)
                {
                    (int start, int end, bool isMatch) = parts[i];
                    if (isMatch && !previousMatch && result.Count > 0)
                    {
                        result[^1] = (start, result[^1].End);
                    }
                    else
                    {
                        result.Add((start, end));
                    }

                    previousMatch = isMatch;
                }

                result.Reverse();
                break;
            case SplitBehavior.Contiguous:
                foreach ((int start, int end, bool isMatch) in parts)
                {
                    if (isMatch == previousMatch && result.Count > 0)
                    {
                        result[^1] = (result[^1].Start, end);
                    }
                    else
                    {
                        result.Add((start, end));
                    }

                    previousMatch = isMatch;
                }

                break;
        }

        return result;
    }
}

/// <summary>When a <c>Metaspace</c> pre-tokenizer puts its replacement character before a piece.</summary>
internal enum MetaspacePrependScheme
{
    /// <summary>Before every piece that does not already start with it.</summary>
    Always,

    /// <summary>Only before the piece that starts the input.</summary>
    First,

    /// <summary>Never.</summary>
    Never,
}

/// <summary>
/// <c>Metaspace</c>: spaces become the replacement character (<c>▁</c>), which is put before the piece as
/// <see cref="Scheme"/> says, and with <see cref="Split"/> the piece is cut before each replacement character.
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, MetaspacePrependScheme scheme, bool split) : IPreTokenizer
{
    private static readonly Regex Space = new(" ", RegexOptions.CultureInvariant);
    private readonly SplitPreTokenizer _splitter = new(new Regex(Regex.Escape(replacement.ToString()), RegexOptions.CultureInvariant), SplitBehavior.MergedWithNext, invert: false);

    public char Replacement => replacement;

    public MetaspacePrependScheme Scheme => scheme;

    public bool Split => split;

    public void PreTokenize(NormalizedText piece, List<NormalizedText> output)
    {
        piece.Replace(Space, replacement.ToString());
        bool prepend = scheme == MetaspacePrependScheme.Always
            || (scheme == MetaspacePrependScheme.First && piece.OriginalStart == 0);
        if (prepend && (piece.Text.Length == 0 || piece.Text[0] != replacement))
        {
            piece.Prepend(replacement.ToString());
        }

        if (split)
        {
            _splitter.PreTokenize(piece, output);
        }
        else if (piece.Text.Length > 0)
        {
            output.Add(piece);
        }
    }
}
