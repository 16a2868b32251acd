using System.Globalization;
using System.Text;

namespace Zephyr.Alignment.Chat.Jinja;

/// <summary>The filters, tests and methods of the supported subset, with Python's behaviour.</summary>
internal sealed partial class JinjaInterpreter
{
    private object? ApplyFilter(FilterExpression filter)
    {
        object? value = Evaluate(filter.Value);
        List<object?> args = [.. filter.Arguments.Select(Evaluate)];
        var kwargs = filter.KeywordArguments.ToDictionary(pair => pair.Name, pair => Evaluate(pair.Value));
        object? Arg(int index, string name, object? fallback = null) =>
            index < args.Count ? args[index] : kwargs.TryGetValue(name, out object? given) ? given : fallback;

        switch (filter.Name)
        {
            case "trim":
                return Strip(AsString(value, filter), Arg(0, "chars") is JinjaString chars ? chars.Text : null, left: true, right: true);
            case "length" or "count":
                return value switch
                {
                    JinjaString s => (long)s.Text.Length,
                    List<object?> list => (long)list.Count,
                    JinjaDict sized => (long)sized.Items.Count,
                    JinjaUndefined => 0L,
                    _ => throw _error("filter 'length'", $"cannot measure {TypeName(value)}", filter.Line),
                };
            case "default" or "d":
                bool boolean = IsTruthy(Arg(1, "boolean", false));
                return value is JinjaUndefined || (boolean && !IsTruthy(value)) ? Arg(0, "default_value", new JinjaString(string.Empty)) : value;
            case "upper":
                return Map(AsString(value, filter), text => text.ToUpperInvariant());
            case "lower":
                return Map(AsString(value, filter), text => text.ToLowerInvariant());
            case "capitalize":
                return new JinjaString(Capitalize(AsString(value, filter).Text));
            case "title":
                return new JinjaString(Title(AsString(value, filter).Text));
            case "replace":
                return new JinjaString(AsString(value, filter).Text.Replace(AsString(Arg(0, "old"), filter).Text, AsString(Arg(1, "new"), filter).Text, StringComparison.Ordinal));
            case "string":
                return ToJinjaString(value);
            case "int":
                return value switch
                {
                    long l => (object)l,
                    double d => (long)d,
                    bool b => b ? 1L : 0L,
                    JinjaString s when long.TryParse(s.Text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) => parsed,
                    _ => Arg(0, "default", 0L),
                };
            case "float":
                return value switch
                {
                    long l => (object)(double)l,
                    double d => d,
                    JinjaString s when double.TryParse(s.Text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) => parsed,
                    _ => Arg(0, "default", 0.0),
                };
            case "abs":
                return value switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), _ => throw _error("filter 'abs'", $"needs a number, got {TypeName(value)}", filter.Line) };
            case "join":
            {
                JinjaString separator = Arg(0, "d") is JinjaString s ? s : new JinjaString(string.Empty);
                JinjaString result = new(string.Empty);
                object? attribute = Arg(1, "attribute");
                bool first = true;
                foreach (object? item in Iterate(value, filter.Line))
                {
                    if (!first)
                    {
                        result = JinjaString.Concat(result, separator);
                    }

                    result = JinjaString.Concat(result, ToJinjaString(attribute is null ? item : GetItem(item, attribute, filter.Line)));
                    first = false;
                }

                return result;
            }

            case "items":
                return value is JinjaDict dict
                    ? dict.Items.Select(pair => (object?)new List<object?> { pair.Key, pair.Value }).ToList()
                    : value is JinjaUndefined ? new List<object?>() : throw _error("filter 'items'", $"needs a mapping, got {TypeName(value)}", filter.Line);
            case "list":
                return Iterate(value, filter.Line).ToList();
            case "first":
                return Iterate(value, filter.Line) is { Count: > 0 } firstItems ? firstItems[0] : JinjaUndefined.Instance;
            case "last":
                return Iterate(value, filter.Line) is { Count: > 0 } lastItems ? lastItems[^1] : JinjaUndefined.Instance;
            case "reverse":
                return value is JinjaString reversed ? Slice(reversed, new SliceExpression(filter.Value, null, null, new LiteralExpression(-1L, filter.Line), filter.Line), filter.Line) : Enumerable.Reverse(Iterate(value, filter.Line)).ToList();
            case "unique":
            {
                var unique = new List<object?>();
                foreach (object? item in Iterate(value, filter.Line).Where(item => !unique.Any(seen => AreEqual(seen, item))))
                {
                    unique.Add(item);
                }

                return unique;
            }

            case "tojson":
                return new JinjaString(JinjaJson.Serialize(value, Arg(0, "indent") is long indent ? (int)indent : null, IsTruthy(Arg(1, "sort_keys", false)), error => _error("filter 'tojson'", error, filter.Line)));
            case "safe" or "e" or "escape" when filter.Name == "safe":
                return value;
            case "indent":
            {
                string indented = AsString(value, filter).Text;
                string pad = Arg(0, "width", 4L) is long width ? new string(' ', (int)width) : AsString(Arg(0, "width"), filter).Text;
                bool indentFirst = IsTruthy(Arg(1, "first", false));
                bool blank = IsTruthy(Arg(2, "blank", false));
                string[] lines = indented.Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    if ((i > 0 || indentFirst) && (blank || lines[i].Length > 0))
                    {
                        lines[i] = pad + lines[i];
                    }
                }

                return new JinjaString(string.Join('\n', lines));
            }

            case "map":
            {
                List<object?> items = Iterate(value, filter.Line);
                if (kwargs.TryGetValue("attribute", out object? attribute))
                {
                    return items.Select(item => GetItem(item, attribute, filter.Line) is JinjaUndefined && kwargs.TryGetValue("default", out object? fallback) ? fallback : GetItem(item, attribute, filter.Line)).ToList();
                }

                if (args.Count > 0 && args[0] is JinjaString name)
                {
                    return items.Select(item => ApplyFilter(new FilterExpression(new LiteralExpression(item, filter.Line), name.Text, [.. filter.Arguments.Skip(1)], [], filter.Line))).ToList();
                }

                throw _error("filter 'map'", "needs attribute= or a filter name", filter.Line);
            }

            case "selectattr" or "rejectattr":
            {
                bool keep = filter.Name == "selectattr";
                JinjaString attribute = AsString(Arg(0, "attribute"), filter);
                return Iterate(value, filter.Line).Where(item =>
                {
                    object? field = GetItem(item, attribute, filter.Line);
                    bool passes = args.Count > 1 ? ApplyTest(AsString(args[1], filter).Text, field, [.. args.Skip(2)], filter.Line) : IsTruthy(field);
                    return passes == keep;
                }).ToList();
            }

            case "select" or "reject":
            {
                bool keep = filter.Name == "select";
                return Iterate(value, filter.Line).Where(item =>
                {
                    bool passes = args.Count > 0 ? ApplyTest(AsString(args[0], filter).Text, item, [.. args.Skip(1)], filter.Line) : IsTruthy(item);
                    return passes == keep;
                }).ToList();
            }

            case "dictsort":
                return value is JinjaDict sortable
                    ? sortable.Items.OrderBy(pair => pair.Key is JinjaString k ? k.Text : Convert.ToString(pair.Key, CultureInfo.InvariantCulture), StringComparer.Ordinal).Select(pair => (object?)new List<object?> { pair.Key, pair.Value }).ToList()
                    : throw _error("filter 'dictsort'", $"needs a mapping, got {TypeName(value)}", filter.Line);
            default:
                throw _error($"filter '{filter.Name}'", "is not supported by this library's Jinja subset", filter.Line);
        }
    }

    private bool ApplyTest(string name, object? value, List<object?> args, int line) => name switch
    {
        "defined" => value is not JinjaUndefined,
        "undefined" => value is JinjaUndefined,
        "none" => value is null,
        "string" => value is JinjaString,
        "number" => value is long or double,
        "integer" => value is long,
        "float" => value is double,
        "boolean" => value is bool,
        "true" => value is true,
        "false" => value is false,
        "mapping" => value is JinjaDict,
        "sequence" => value is List<object?> or JinjaString or JinjaDict,
        "iterable" => value is List<object?> or JinjaString or JinjaDict,
        "callable" => value is JinjaCallable,
        "odd" => value is long odd && odd % 2 != 0,
        "even" => value is long even && even % 2 == 0,
        "divisibleby" => value is long dividend && args.Count > 0 && args[0] is long divisor && divisor != 0 && dividend % divisor == 0,
        "eq" or "equalto" or "==" or "sameas" => args.Count > 0 && AreEqual(value, args[0]),
        "ne" or "!=" => args.Count > 0 && !AreEqual(value, args[0]),
        "in" => args.Count > 0 && Contains(args[0], value, line),
        "lower" => value is JinjaString lower && lower.Text == lower.Text.ToLowerInvariant(),
        "upper" => value is JinjaString upper && upper.Text == upper.Text.ToUpperInvariant(),
        _ => throw _error($"test '{name}'", "is not supported by this library's Jinja subset", line),
    };

    private JinjaCallable StringMethod(JinjaString s, string name, int line)
    {
        JinjaString Text(object? value) => value is JinjaString text ? text : throw _error($"method '{name}'", $"needs a string argument, got {TypeName(value)}", line);
        string? Chars(List<object?> args) => args.Count > 0 && args[0] is JinjaString chars ? chars.Text : null;
        return name switch
        {
            "strip" => new(name, (args, _) => Strip(s, Chars(args), left: true, right: true)),
            "lstrip" => new(name, (args, _) => Strip(s, Chars(args), left: true, right: false)),
            "rstrip" => new(name, (args, _) => Strip(s, Chars(args), left: false, right: true)),
            "startswith" => new(name, (args, _) => args.Count > 0 && (args[0] is List<object?> options ? options.Any(o => s.Text.StartsWith(Text(o).Text, StringComparison.Ordinal)) : s.Text.StartsWith(Text(args[0]).Text, StringComparison.Ordinal))),
            "endswith" => new(name, (args, _) => args.Count > 0 && (args[0] is List<object?> options ? options.Any(o => s.Text.EndsWith(Text(o).Text, StringComparison.Ordinal)) : s.Text.EndsWith(Text(args[0]).Text, StringComparison.Ordinal))),
            "split" => new(name, (args, kwargs) => Split(s, args.Count > 0 && args[0] is JinjaString sep ? sep.Text : kwargs.GetValueOrDefault("sep") is JinjaString k ? k.Text : null, args.Count > 1 && args[1] is long max ? max : kwargs.GetValueOrDefault("maxsplit") is long km ? km : -1)),
            "splitlines" => new(name, (_, _) => s.Text.Split('\n').Select(part => (object?)new JinjaString(part.TrimEnd('\r'))).ToList() is var parts && s.Text.EndsWith('\n') ? parts[..^1] : parts),
            "upper" => new(name, (_, _) => Map(s, text => text.ToUpperInvariant())),
            "lower" => new(name, (_, _) => Map(s, text => text.ToLowerInvariant())),
            "title" => new(name, (_, _) => new JinjaString(Title(s.Text))),
            "capitalize" => new(name, (_, _) => new JinjaString(Capitalize(s.Text))),
            "replace" => new(name, (args, _) => args.Count >= 2 ? new JinjaString(s.Text.Replace(Text(args[0]).Text, Text(args[1]).Text, StringComparison.Ordinal)) : throw _error("method 'replace'", "needs two arguments", line)),
            "find" => new(name, (args, _) => (long)s.Text.IndexOf(Text(args[0]).Text, StringComparison.Ordinal)),
            "count" => new(name, (args, _) => (long)CountOccurrences(s.Text, Text(args[0]).Text)),
            "join" => new(name, (args, _) => args.Count > 0 ? Iterate(args[0], line).Select(ToJinjaString).Aggregate((JinjaString?)null, (acc, next) => acc is null ? next : JinjaString.Concat(JinjaString.Concat(acc, s), next)) ?? new JinjaString(string.Empty) : throw _error("method 'join'", "needs an argument", line)),
            "isdigit" => new(name, (_, _) => s.Text.Length > 0 && s.Text.All(char.IsDigit)),
            "isspace" => new(name, (_, _) => s.Text.Length > 0 && s.Text.All(char.IsWhiteSpace)),
            _ => throw _error($"string method '{name}'", "is not supported by this library's Jinja subset", line),
        };
    }

    private JinjaCallable ListMethod(List<object?> list, string name, int line) => name switch
    {
        "append" => new(name, (args, _) =>
        {
            list.Add(args.Count > 0 ? args[0] : null);
            return null;
        }),
        "index" => new(name, (args, _) => (long)list.FindIndex(item => AreEqual(item, args.Count > 0 ? args[0] : null))),
        _ => throw _error($"list method '{name}'", "is not supported by this library's Jinja subset", line),
    };

    private static JinjaCallable DictMethod(JinjaDict dict, string name) => name switch
    {
        "get" => new(name, (args, _) => args.Count > 0 && args[0] is not null && dict.Items.TryGetValue(args[0]!, out object? value) ? value : args.Count > 1 ? args[1] : null),
        "items" => new(name, (_, _) => dict.Items.Select(pair => (object?)new List<object?> { pair.Key, pair.Value }).ToList()),
        "keys" => new(name, (_, _) => dict.Items.Keys.ToList()),
        _ => new(name, (_, _) => dict.Items.Values.ToList()),
    };

    private JinjaString AsString(object? value, FilterExpression filter) => value switch
    {
        JinjaString s => s,
        JinjaUndefined => new JinjaString(string.Empty),
        _ => throw _error($"filter '{filter.Name}'", $"needs a string, got {TypeName(value)}", filter.Line),
    };

    private static JinjaString Map(JinjaString s, Func<string, string> change)
    {
        string changed = change(s.Text);
        return new JinjaString(changed, changed.Length == s.Text.Length ? s.Owners : null);
    }

    private static JinjaString Strip(JinjaString s, string? chars, bool left, bool right)
    {
        int start = 0;
        int end = s.Text.Length;
        bool Strippable(char c) => chars is null ? char.IsWhiteSpace(c) : chars.Contains(c, StringComparison.Ordinal);
        while (left && start < end && Strippable(s.Text[start]))
        {
            start++;
        }

        while (right && end > start && Strippable(s.Text[end - 1]))
        {
            end--;
        }

        return s.Substring(start, end - start);
    }

    private static List<object?> Split(JinjaString s, string? separator, long maxSplit)
    {
        var parts = new List<object?>();
        int position = 0;
        if (separator is null)
        {
            // Python's split(): runs of whitespace, no empty strings.
            while (position < s.Text.Length)
            {
                while (position < s.Text.Length && char.IsWhiteSpace(s.Text[position]))
                {
                    position++;
                }

                if (position >= s.Text.Length)
                {
                    break;
                }

                int end = position;
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    end = s.Text.Length;
                    parts.Add(Strip(s.Substring(position, end - position), null, left: false, right: true));
                    break;
                }

                while (end < s.Text.Length && !char.IsWhiteSpace(s.Text[end]))
                {
                    end++;
                }

                parts.Add(s.Substring(position, end - position));
                position = end;
            }

            return parts;
        }

        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int found = s.Text.IndexOf(separator, position, StringComparison.Ordinal);
            if (found < 0)
            {
                break;
            }

            parts.Add(s.Substring(position, found - position));
            position = found + separator.Length;
        }

        parts.Add(s.Substring(position, s.Text.Length - position));
        return parts;
    }

    private static int CountOccurrences(string text, string part)
    {
        if (part.Length == 0)
        {
            return text.Length + 1;
        }

        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant();

    private static string Title(string text)
    {
        var result = new StringBuilder(text.Length);
        bool previousIsLetter = false;
        foreach (char c in text)
        {
            result.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }

        return result.ToString();
    }

    /// <summary>Python's <c>str()</c> of a value, as <c>{{ }}</c> prints it; strings keep their owners.</summary>
    internal static JinjaString ToJinjaString(object? value) => value switch
    {
        JinjaString s => s,
        JinjaUndefined => new JinjaString(string.Empty),
        _ => new JinjaString(Repr(value, topLevel: true)),
    };

    private static string Repr(object? value, bool topLevel) => value switch
    {
        null => "None",
        JinjaUndefined => string.Empty,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => JinjaJson.FormatDouble(d),
        JinjaString s => topLevel ? s.Text : "'" + s.Text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "'",
        List<object?> list => "[" + string.Join(", ", list.Select(item => Repr(item, topLevel: false))) + "]",
        JinjaDict dict => "{" + string.Join(", ", dict.Items.Select(pair => Repr(pair.Key, topLevel: false) + ": " + Repr(pair.Value, topLevel: false))) + "}",
        JinjaCallable callable => $"<function {callable.Name}>",
        _ => value.ToString() ?? string.Empty,
    };
}
