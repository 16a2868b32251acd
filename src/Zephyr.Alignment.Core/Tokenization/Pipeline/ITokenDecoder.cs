using System.Text;
using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Tokenization;

/// <summary>One step of a <c>tokenizer.json</c> <c>decoder</c> (tokenizers' <c>decode_chain</c>): token strings in, token strings out.</summary>
internal interface ITokenDecoder
{
    /// <summary>Transforms the token strings.</summary>
    List<string> Decode(List<string> tokens);
}

/// <summary><c>Replace</c>: replaces a pattern in every token (e.g. <c>▁</c> with a space).</summary>
internal sealed class ReplaceDecoder(Regex pattern, string content) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => [.. tokens.Select(token => pattern.Replace(token, _ => content))];
}

/// <summary>
/// <c>ByteFallback</c>: runs of <c>&lt;0xXX&gt;</c> tokens become the text their bytes spell in UTF-8, or one
/// U+FFFD per byte when the run is not valid UTF-8.
/// </summary>
internal sealed class ByteFallbackDecoder : ITokenDecoder
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            if (TryParseByte(token, out byte value))
            {
                bytes.Add(value);
                continue;
            }

            Flush(bytes, result);
            result.Add(token);
        }

        Flush(bytes, result);
        return result;
    }

    /// <summary>Parses <c>&lt;0xXX&gt;</c>.</summary>
    internal static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    private static void Flush(List<byte> bytes, List<string> result)
    {
        if (bytes.Count == 0)
        {
            return;
        }

        try
        {
            result.Add(Strict.GetString([.. bytes]));
        }
        catch (DecoderFallbackException)
        {
            result.AddRange(Enumerable.Repeat("\uFFFD", bytes.Count));
        }

        bytes.Clear();
    }
}

/// <summary><c>Fuse</c>: joins all tokens into one.</summary>
internal sealed class FuseDecoder : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary><c>Strip</c>: removes up to <c>start</c> leading and <c>stop</c> trailing <c>content</c> characters from every token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        foreach (string token in tokens)
        {
            int head = 0;
            while (head < start && head < token.Length && token[head] == content)
            {
                head++;
            }

            int tail = 0;
            while (tail < stop && tail < token.Length - head && token[token.Length - 1 - tail] == content)
            {
                tail++;
            }

            result.Add(token.Substring(head, token.Length - head - tail));
        }

        return result;
    }
}

/// <summary>
/// <c>Metaspace</c> decoder: the replacement character becomes a space, and the first token loses one leading
/// space unless the prepend scheme is <c>never</c> (the dummy prefix).
/// </summary>
internal sealed class MetaspaceDecoder(MetaspacePreTokenizer settings) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i].Replace(settings.Replacement, ' ');
            if (i == 0 && settings.Scheme != MetaspacePrependScheme.Never && token.StartsWith(' '))
            {
                token = token[1..];
            }

            result.Add(token);
        }

        return result;
    }
}
