using System.Globalization;
using System.Text;

namespace Zephyr.Alignment.Chat;

/// <summary>
/// A canonical form of a Jinja chat template's source, so that two sources compare equal exactly when they differ
/// only in ways that cannot change what <c>apply_chat_template</c> renders.
/// </summary>
/// <remarks>
/// <para>The rule, applied to both sides of every comparison:</para>
/// <list type="number">
/// <item>Text outside tags is what the template outputs, so it is kept character for character, after applying
/// the whitespace handling transformers renders with: <c>trim_blocks</c> (the first newline after a block or
/// comment tag is dropped), <c>lstrip_blocks</c> (spaces and tabs from the start of a line up to a block or
/// comment tag are dropped) and the <c>-</c>/<c>+</c> markers (<c>{%-</c>, <c>-%}</c>, …).</item>
/// <item>Comments are dropped, and adjacent text pieces are joined.</item>
/// <item>Inside <c>{% %}</c> and <c>{{ }}</c>, whitespace outside string literals is removed (a run between two
/// identifier characters, as in <c>not loop.last</c>, becomes one space), and each string literal is replaced by
/// its decoded value, so <c>'\n'</c>, <c>"\n"</c> and a literal line break inside quotes are the same.</item>
/// </list>
/// <para>Nothing else is normalised: a template that differs in any token, operator or output character does not
/// match. A source with an unterminated tag or string has no canonical form.</para>
/// </remarks>
internal static class JinjaCanonicalForm
{
    private enum TagKind
    {
        Variable,
        Block,
        Comment,
    }

    private readonly record struct Tag(TagKind Kind, int Start, int End, char LeftMarker, char RightMarker, string Code);

    /// <summary>The canonical form of <paramref name="source"/>, or <see langword="null"/> when it cannot be parsed.</summary>
    public static string? Canonicalize(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var tags = new List<Tag>();
        int position = 0;
        while (true)
        {
            int open = FindTagOpen(source, position);
            if (open < 0)
            {
                break;
            }

            Tag? tag = ReadTag(source, open);
            if (tag is null)
            {
                return null;
            }

            tags.Add(tag.Value);
            position = tag.Value.End;
        }

        var canonical = new StringBuilder();
        var pendingText = new StringBuilder();
        for (int t = 0; t <= tags.Count; t++)
        {
            Tag? previous = t > 0 ? tags[t - 1] : null;
            Tag? next = t < tags.Count ? tags[t] : null;
            int start = previous?.End ?? 0;
            int end = next?.Start ?? source.Length;
            pendingText.Append(EffectiveText(source, start, end, previous, next));
            if (next is { } tag && tag.Kind != TagKind.Comment)
            {
                AppendPiece(canonical, 'T', pendingText.ToString());
                pendingText.Clear();
                AppendPiece(canonical, tag.Kind == TagKind.Block ? 'B' : 'V', tag.Code);
            }
        }

        AppendPiece(canonical, 'T', pendingText.ToString());
        return canonical.ToString();
    }

    private static void AppendPiece(StringBuilder canonical, char kind, string value)
    {
        if (kind == 'T' && value.Length == 0)
        {
            return;
        }

        // Length-prefixed pieces cannot be confused with one another, whatever characters they contain.
        canonical.Append(kind).Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
    }

    private static int FindTagOpen(string source, int from)
    {
        for (int i = from; i < source.Length - 1; i++)
        {
            if (source[i] == '{' && source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private static Tag? ReadTag(string source, int open)
    {
        char opener = source[open + 1];
        TagKind kind = opener switch
        {
            '{' => TagKind.Variable,
            '%' => TagKind.Block,
            _ => TagKind.Comment,
        };
        string closer = kind switch
        {
            TagKind.Variable => "}}",
            TagKind.Block => "%}",
            _ => "#}",
        };

        int innerStart = open + 2;
        int close = kind == TagKind.Comment
            ? source.IndexOf(closer, innerStart, StringComparison.Ordinal)
            : FindCloseOutsideStrings(source, innerStart, closer);
        if (close < 0)
        {
            return null;
        }

        string inner = source[innerStart..close];
        char left = inner.Length > 0 && inner[0] is '-' or '+' ? inner[0] : '\0';
        char right = inner.Length > (left == '\0' ? 0 : 1) && inner[^1] is '-' or '+' ? inner[^1] : '\0';
        string code = inner[(left == '\0' ? 0 : 1)..(inner.Length - (right == '\0' ? 0 : 1))];
        string? canonicalCode = kind == TagKind.Comment ? string.Empty : CanonicalCode(code);
        if (canonicalCode is null)
        {
            return null;
        }

        return new Tag(kind, open, close + 2, left, right, canonicalCode);
    }

    private static int FindCloseOutsideStrings(string source, int from, string closer)
    {
        for (int i = from; i < source.Length - 1; i++)
        {
            char c = source[i];
            if (c is '\'' or '"')
            {
                int endQuote = FindStringEnd(source, i);
                if (endQuote < 0)
                {
                    return -1;
                }

                i = endQuote;
            }
            else if (c == closer[0] && source[i + 1] == closer[1])
            {
                return i;
            }
        }

        return -1;
    }

    private static int FindStringEnd(string source, int openQuote)
    {
        char quote = source[openQuote];
        for (int i = openQuote + 1; i < source.Length; i++)
        {
            if (source[i] == '\\')
            {
                i++;
            }
            else if (source[i] == quote)
            {
                return i;
            }
        }

        return -1;
    }

    private static string EffectiveText(string source, int start, int end, Tag? previous, Tag? next)
    {
        if (previous is { } p)
        {
            if (p.RightMarker == '-')
            {
                while (start < end && char.IsWhiteSpace(source[start]))
                {
                    start++;
                }
            }
            else if (p.Kind != TagKind.Variable && p.RightMarker != '+' && start < end && source[start] == '\n')
            {
                // trim_blocks
                start++;
            }
        }

        if (next is { } n)
        {
            if (n.LeftMarker == '-')
            {
                while (end > start && char.IsWhiteSpace(source[end - 1]))
                {
                    end--;
                }
            }
            else if (n.Kind != TagKind.Variable && n.LeftMarker != '+')
            {
                // lstrip_blocks: only when the tag is preceded on its line by nothing but spaces and tabs.
                int lastNewline = end > start ? source.LastIndexOf('\n', end - 1, end - start) : -1;
                int from = lastNewline >= 0 ? lastNewline + 1 : start;
                bool atLineStart = lastNewline >= 0 || start == 0 || source[start - 1] == '\n';
                if (atLineStart && IsSpacesAndTabs(source, from, end))
                {
                    end = from;
                }
            }
        }

        return source[start..end];
    }

    private static bool IsSpacesAndTabs(string source, int from, int end)
    {
        for (int i = from; i < end; i++)
        {
            if (source[i] is not (' ' or '\t'))
            {
                return false;
            }
        }

        return true;
    }

    private static string? CanonicalCode(string code)
    {
        var result = new StringBuilder(code.Length);
        bool pendingSpace = false;
        for (int i = 0; i < code.Length; i++)
        {
            char c = code[i];
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace && result.Length > 0 && IsIdentifierChar(result[^1]) && IsIdentifierChar(c))
            {
                result.Append(' ');
            }

            pendingSpace = false;
            if (c is '\'' or '"')
            {
                int endQuote = FindStringEnd(code, i);
                if (endQuote < 0)
                {
                    return null;
                }

                string value = DecodeString(code, i + 1, endQuote);
                // A quote character that cannot occur in source code outside a string marks the decoded value.
                result.Append('\u0001').Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
                i = endQuote;
                continue;
            }

            result.Append(c);
        }

        return result.ToString();
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c == '_';

    /// <summary>Decodes a Jinja string literal body the way Python's <c>unicode-escape</c> codec does for the usual escapes.</summary>
    private static string DecodeString(string code, int start, int end)
    {
        var value = new StringBuilder(end - start);
        for (int i = start; i < end; i++)
        {
            char c = code[i];
            if (c != '\\' || i + 1 >= end)
            {
                value.Append(c);
                continue;
            }

            char e = code[++i];
            switch (e)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case '\\': value.Append('\\'); break;
                case '\'': value.Append('\''); break;
                case '"': value.Append('"'); break;
                case 'x' when TryHex(code, i + 1, 2, end, out int x):
                    value.Append((char)x);
                    i += 2;
                    break;
                case 'u' when TryHex(code, i + 1, 4, end, out int u):
                    value.Append((char)u);
                    i += 4;
                    break;
                default:
                    // Python keeps unknown escapes as written.
                    value.Append('\\').Append(e);
                    break;
            }
        }

        return value.ToString();
    }

    private static bool TryHex(string code, int start, int digits, int end, out int value)
    {
        value = 0;
        return start + digits <= end
            && int.TryParse(code.AsSpan(start, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
