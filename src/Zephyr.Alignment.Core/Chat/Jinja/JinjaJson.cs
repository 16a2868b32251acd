using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Zephyr.Alignment.Chat.Jinja;

/// <summary>
/// Conversions between JSON and Jinja values, and the <c>tojson</c> filter as transformers defines it:
/// <c>json.dumps(x, ensure_ascii=False, indent=indent, sort_keys=sort_keys)</c>, with Python's separators.
/// </summary>
internal static class JinjaJson
{
    /// <summary>A JSON value as a Jinja value; strings get <paramref name="owner"/> (message index + 1) on every character.</summary>
    public static object? FromJson(JsonElement element, int owner = 0) => element.ValueKind switch
    {
        JsonValueKind.String => Owned(element.GetString()!, owner),
        JsonValueKind.Number => element.TryGetInt64(out long l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => element.EnumerateArray().Select(item => FromJson(item, owner)).ToList(),
        JsonValueKind.Object => ObjectFromJson(element, owner),
        _ => null,
    };

    /// <summary>A CLR value (string, bool, number, JSON element, list, dictionary) as a Jinja value.</summary>
    public static object? FromObject(object? value) => value switch
    {
        null => null,
        string s => new JinjaString(s),
        bool b => b,
        int i => (long)i,
        long l => l,
        float f => (double)f,
        double d => d,
        decimal m => (double)m,
        JsonElement element => FromJson(element),
        System.Collections.IDictionary dictionary => DictFromObject(dictionary),
        System.Collections.IEnumerable items => items.Cast<object?>().Select(FromObject).ToList(),
        _ => throw new ArgumentException($"A chat template variable of type {value.GetType().Name} is not supported; use strings, numbers, booleans, lists, dictionaries or JsonElement."),
    };

    public static JinjaString Owned(string text, int owner) =>
        new(text, owner == 0 ? null : Enumerable.Repeat(owner, text.Length).ToArray());

    public static string Serialize(object? value, int? indent, bool sortKeys, Func<string, Exception> error)
    {
        var output = new StringBuilder();
        Write(output, value, indent, sortKeys, 0, error);
        return output.ToString();
    }

    /// <summary>Python's <c>repr(float)</c>: shortest round-trip digits, always with a decimal point or exponent.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.Contains('E', StringComparison.Ordinal))
        {
            // 1E-05 -> 1e-05, 1E+16 -> 1e+16, as Python writes them.
            string[] parts = text.Split('E');
            int exponent = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return $"{parts[0]}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }

        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
    }

    private static JinjaDict ObjectFromJson(JsonElement element, int owner)
    {
        var dict = new JinjaDict();
        foreach (JsonProperty property in element.EnumerateObject())
        {
            dict.Items[new JinjaString(property.Name)] = FromJson(property.Value, owner);
        }

        return dict;
    }

    private static JinjaDict DictFromObject(System.Collections.IDictionary dictionary)
    {
        var dict = new JinjaDict();
        foreach (System.Collections.DictionaryEntry entry in dictionary)
        {
            dict.Items[FromObject(entry.Key)!] = FromObject(entry.Value);
        }

        return dict;
    }

    private static void Write(StringBuilder output, object? value, int? indent, bool sortKeys, int depth, Func<string, Exception> error)
    {
        switch (value)
        {
            case null:
                output.Append("null");
                break;
            case bool b:
                output.Append(b ? "true" : "false");
                break;
            case long l:
                output.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                output.Append(FormatDouble(d));
                break;
            case JinjaString s:
                WriteString(output, s.Text);
                break;
            case List<object?> list:
                WriteContainer(output, '[', ']', list.Count, indent, depth, i => Write(output, list[i], indent, sortKeys, depth + 1, error));
                break;
            case JinjaDict dict:
            {
                List<KeyValuePair<object, object?>> pairs = [.. dict.Items];
                if (sortKeys)
                {
                    pairs = [.. pairs.OrderBy(pair => pair.Key is JinjaString k ? k.Text : Convert.ToString(pair.Key, CultureInfo.InvariantCulture), StringComparer.Ordinal)];
                }

                WriteContainer(output, '{', '}', pairs.Count, indent, depth, i =>
                {
                    object key = pairs[i].Key;
                    WriteString(output, key is JinjaString k ? k.Text : key switch
                    {
                        bool b => b ? "true" : "false",
                        long l => l.ToString(CultureInfo.InvariantCulture),
                        double d => FormatDouble(d),
                        _ => throw error($"cannot serialize a {JinjaInterpreter.TypeName(key)} key"),
                    });
                    output.Append(": ");
                    Write(output, pairs[i].Value, indent, sortKeys, depth + 1, error);
                });
                break;
            }

            case JinjaUndefined:
                throw error("cannot serialize an undefined value");
            default:
                throw error($"cannot serialize a {JinjaInterpreter.TypeName(value)}");
        }
    }

    private static void WriteContainer(StringBuilder output, char open, char close, int count, int? indent, int depth, Action<int> writeItem)
    {
        output.Append(open);
        if (count == 0)
        {
            output.Append(close);
            return;
        }

        for (int i = 0; i < count; i++)
        {
            if (i > 0)
            {
                output.Append(indent is null ? ", " : ",");
            }

            if (indent is not null)
            {
                output.Append('\n').Append(' ', indent.Value * (depth + 1));
            }

            writeItem(i);
        }

        if (indent is not null)
        {
            output.Append('\n').Append(' ', indent.Value * depth);
        }

        output.Append(close);
    }

    private static void WriteString(StringBuilder output, string text)
    {
        output.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                default:
                    if (c < 0x20)
                    {
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }

                    break;
            }
        }

        output.Append('"');
    }
}
