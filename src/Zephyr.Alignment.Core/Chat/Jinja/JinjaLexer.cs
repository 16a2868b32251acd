using System.Globalization;
using System.Text;

namespace Zephyr.Alignment.Chat.Jinja;

/// <summary>The kinds of <see cref="JinjaToken"/>.</summary>
internal enum JinjaTokenKind
{
    Text,
    BlockStart,
    BlockEnd,
    VariableStart,
    VariableEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>A token of a Jinja template, with its 1-based line.</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Value, int Line);

/// <summary>
/// Splits a Jinja template into text and tag tokens as Jinja2 does with the settings transformers uses
/// (<c>trim_blocks=True</c>, <c>lstrip_blocks=True</c>): a block or comment tag removes one newline after it and the
/// spaces and tabs before it on its line; <c>-</c> inside a delimiter strips all whitespace on that side; <c>+</c>
/// turns the block settings off for that side.
/// </summary>
internal static class JinjaLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    public static List<JinjaToken> Tokenize(string source, Func<string, string, int, Exception> error)
    {
        var tokens = new List<JinjaToken>();
        int position = 0;
        int line = 1;
        bool stripNextLeading = false;
        bool trimNextNewline = false;
        while (position < source.Length)
        {
            int open = FindOpen(source, position);
            string text = source.Substring(position, (open < 0 ? source.Length : open) - position);
            bool startsLine = position == 0 || source[position - 1] == '\n';
            if (trimNextNewline)
            {
                if (text.StartsWith("\r\n", StringComparison.Ordinal))
                {
                    text = text[2..];
                    startsLine = true;
                }
                else if (text.StartsWith('\n'))
                {
                    text = text[1..];
                    startsLine = true;
                }
            }

            if (stripNextLeading)
            {
                text = text.TrimStart();
            }

            int textLine = line;
            line += Count(source, position, (open < 0 ? source.Length : open) - position);
            if (open < 0)
            {
                Add(tokens, text, textLine);
                break;
            }

            char kind = source[open + 1];
            char modifier = open + 2 < source.Length ? source[open + 2] : '\0';
            if (modifier == '-')
            {
                text = text.TrimEnd();
            }
            else if (modifier != '+' && kind is '%' or '#')
            {
                // lstrip_blocks: spaces and tabs between the line start and a block tag go.
                int lineStart = text.LastIndexOf('\n') + 1;
                bool atLineStart = lineStart > 0 || startsLine;
                if (atLineStart && text.AsSpan(lineStart).IndexOfAnyExcept(' ', '\t') < 0)
                {
                    text = text[..lineStart];
                }
            }

            Add(tokens, text, textLine);
            position = open + 2 + (modifier is '-' or '+' ? 1 : 0);
            if (kind == '#')
            {
                int close = source.IndexOf("#}", position, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw error("comment", "has no closing '#}'", line);
                }

                bool minus = source[close - 1] == '-' && close - 1 >= position;
                bool plus = source[close - 1] == '+' && close - 1 >= position;
                line += Count(source, position, close - position);
                position = close + 2;
                stripNextLeading = minus;
                trimNextNewline = !minus && !plus;
                continue;
            }

            tokens.Add(new JinjaToken(kind == '%' ? JinjaTokenKind.BlockStart : JinjaTokenKind.VariableStart, string.Empty, line));
            string closer = kind == '%' ? "%}" : "}}";
            (position, line, bool closeMinus, bool closePlus) = LexTag(source, position, line, closer, tokens, error);
            tokens.Add(new JinjaToken(kind == '%' ? JinjaTokenKind.BlockEnd : JinjaTokenKind.VariableEnd, string.Empty, line));
            stripNextLeading = closeMinus;
            trimNextNewline = kind == '%' && !closeMinus && !closePlus;
        }

        tokens.Add(new JinjaToken(JinjaTokenKind.End, string.Empty, line));
        return tokens;
    }

    private static void Add(List<JinjaToken> tokens, string text, int line)
    {
        if (text.Length > 0)
        {
            tokens.Add(new JinjaToken(JinjaTokenKind.Text, text, line));
        }
    }

    private static int FindOpen(string source, int from)
    {
        for (int i = source.IndexOf('{', from); i >= 0 && i + 1 < source.Length; i = source.IndexOf('{', i + 1))
        {
            if (source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }

        return -1;
    }

    private static int Count(string source, int start, int length) => source.AsSpan(start, length).Count('\n');

    private static (int Position, int Line, bool Minus, bool Plus) LexTag(
        string source, int position, int line, string closer, List<JinjaToken> tokens, Func<string, string, int, Exception> error)
    {
        int depth = 0;
        while (true)
        {
            if (position >= source.Length)
            {
                throw error("tag", $"has no closing '{closer}'", line);
            }

            char c = source[position];
            if (depth == 0 && (c is '-' or '+') && string.CompareOrdinal(source, position + 1, closer, 0, 2) == 0)
            {
                return (position + 3, line, c == '-', c == '+');
            }

            if (depth == 0 && string.CompareOrdinal(source, position, closer, 0, 2) == 0)
            {
                return (position + 2, line, false, false);
            }

            if (char.IsWhiteSpace(c))
            {
                line += c == '\n' ? 1 : 0;
                position++;
                continue;
            }

            if (c is '\'' or '"')
            {
                (string value, int end) = ReadString(source, position, line, error);
                line += Count(source, position, end - position);
                tokens.Add(new JinjaToken(JinjaTokenKind.String, value, line));
                position = end;
                continue;
            }

            if (char.IsAsciiDigit(c))
            {
                int end = position;
                while (end < source.Length && (char.IsAsciiDigit(source[end]) || source[end] == '_'))
                {
                    end++;
                }

                bool isFloat = end + 1 < source.Length && source[end] == '.' && char.IsAsciiDigit(source[end + 1]);
                if (isFloat)
                {
                    end++;
                    while (end < source.Length && char.IsAsciiDigit(source[end]))
                    {
                        end++;
                    }
                }

                tokens.Add(new JinjaToken(isFloat ? JinjaTokenKind.Float : JinjaTokenKind.Integer, source[position..end].Replace("_", string.Empty, StringComparison.Ordinal), line));
                position = end;
                continue;
            }

            if (char.IsLetter(c) || c == '_')
            {
                int end = position;
                while (end < source.Length && (char.IsLetterOrDigit(source[end]) || source[end] == '_'))
                {
                    end++;
                }

                tokens.Add(new JinjaToken(JinjaTokenKind.Name, source[position..end], line));
                position = end;
                continue;
            }

            string? op = Operators.FirstOrDefault(o => string.CompareOrdinal(source, position, o, 0, o.Length) == 0);
            if (op is null)
            {
                throw error($"character '{c}'", "is not valid inside a tag", line);
            }

            depth += op is "(" or "[" or "{" ? 1 : op is ")" or "]" or "}" ? -1 : 0;
            depth = Math.Max(depth, 0);
            tokens.Add(new JinjaToken(JinjaTokenKind.Operator, op, line));
            position += op.Length;
        }
    }

    private static (string Value, int End) ReadString(string source, int start, int line, Func<string, string, int, Exception> error)
    {
        char quote = source[start];
        var value = new StringBuilder();
        int i = start + 1;
        while (i < source.Length && source[i] != quote)
        {
            char c = source[i];
            if (c == '\\' && i + 1 < source.Length)
            {
                char next = source[i + 1];
                switch (next)
                {
                    case 'n': value.Append('\n'); break;
                    case 't': value.Append('\t'); break;
                    case 'r': value.Append('\r'); break;
                    case 'b': value.Append('\b'); break;
                    case 'f': value.Append('\f'); break;
                    case '\\': value.Append('\\'); break;
                    case '\'': value.Append('\''); break;
                    case '"': value.Append('"'); break;
                    case '\n': break;
                    case 'u' when i + 5 < source.Length:
                        value.Append((char)int.Parse(source.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i += 4;
                        break;
                    default:
                        // Python keeps unknown escapes as written.
                        value.Append('\\').Append(next);
                        break;
                }

                i += 2;
                continue;
            }

            value.Append(c);
            i++;
        }

        if (i >= source.Length)
        {
            throw error("string literal", "is not closed", line);
        }

        return (value.ToString(), i + 1);
    }
}
