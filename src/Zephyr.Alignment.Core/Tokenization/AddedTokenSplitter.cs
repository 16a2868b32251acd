using System.Buffers;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// Cuts added tokens out of text, as Hugging Face does before any normalization or pre-tokenization: scanning
/// left to right, at each position the longest token that matches (case-sensitive) wins.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;
    private readonly SearchValues<char> _firstChars;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        _byFirstChar = tokens
            .Where(token => token.Content.Length > 0)
            .DistinctBy(token => token.Content, StringComparer.Ordinal)
            .GroupBy(token => token.Content[0])
            .ToDictionary(group => group.Key, group => group.OrderByDescending(token => token.Content.Length).ToArray());
        _firstChars = SearchValues.Create([.. _byFirstChar.Keys]);
    }

    /// <summary>Splits <paramref name="text"/> into plain-text and token segments, in order.</summary>
    /// <param name="text">The input.</param>
    /// <param name="segments">Receives the segments (cleared first). Plain-text segments are never empty.</param>
    public void Split(string text, List<TextSegment> segments)
    {
        segments.Clear();
        int plainStart = 0;
        int position = 0;
        while (position < text.Length)
        {
            int next = text.AsSpan(position).IndexOfAny(_firstChars);
            if (next < 0)
            {
                break;
            }

            position += next;
            AddedToken? match = MatchAt(text, position);
            if (match is null)
            {
                position++;
                continue;
            }

            int tokenStart = position;
            int tokenEnd = position + match.Content.Length;
            if (match.LeftStrip)
            {
                while (tokenStart > plainStart && char.IsWhiteSpace(text[tokenStart - 1]))
                {
                    tokenStart--;
                }
            }

            if (match.RightStrip)
            {
                while (tokenEnd < text.Length && char.IsWhiteSpace(text[tokenEnd]))
                {
                    tokenEnd++;
                }
            }

            if (tokenStart > plainStart)
            {
                segments.Add(new TextSegment(plainStart, tokenStart - plainStart, null));
            }

            segments.Add(new TextSegment(tokenStart, tokenEnd - tokenStart, match));
            plainStart = position = tokenEnd;
        }

        if (plainStart < text.Length)
        {
            segments.Add(new TextSegment(plainStart, text.Length - plainStart, null));
        }
    }

    private AddedToken? MatchAt(string text, int position)
    {
        if (!_byFirstChar.TryGetValue(text[position], out AddedToken[]? candidates))
        {
            return null;
        }

        ReadOnlySpan<char> rest = text.AsSpan(position);
        foreach (AddedToken candidate in candidates)
        {
            if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }
}
