using System.Globalization;
using System.Text;

namespace Zephyr.Alignment.Chat.Jinja;

/// <summary>
/// Renders parsed Jinja nodes with Python semantics for the subset chat templates use. Anything outside the subset
/// throws through the error factory, naming the construct and its line; <c>raise_exception</c> throws a
/// <see cref="FormatException"/> with the template's own message.
/// </summary>
internal sealed partial class JinjaInterpreter
{
    private readonly Func<string, string, int, Exception> _error;
    private readonly StringBuilder _output = new();
    private readonly List<int> _owners = [];
    private readonly List<(int Start, int End)> _generation = [];
    private readonly List<Dictionary<string, object?>> _scopes = [];

    public JinjaInterpreter(Dictionary<string, object?> globals, Func<string, string, int, Exception> error)
    {
        _error = error;
        _scopes.Add(globals);
    }

    /// <summary>The rendered text.</summary>
    public string Text => _output.ToString();

    /// <summary>Per character of <see cref="Text"/>, the message index + 1 its content came from, or 0.</summary>
    public IReadOnlyList<int> Owners => _owners;

    /// <summary>Character ranges written inside <c>{% generation %}</c> blocks.</summary>
    public IReadOnlyList<(int Start, int End)> GenerationRanges => _generation;

    public void Render(List<JinjaNode> nodes)
    {
        foreach (JinjaNode node in nodes)
        {
            Execute(node);
        }
    }

    private void Execute(JinjaNode node)
    {
        switch (node)
        {
            case TextNode text:
                Write(new JinjaString(text.Text));
                break;
            case OutputNode output:
                Write(ToJinjaString(Evaluate(output.Value)));
                break;
            case IfNode branch:
                foreach ((JinjaExpression condition, List<JinjaNode> body) in branch.Branches)
                {
                    if (IsTruthy(Evaluate(condition)))
                    {
                        Render(body);
                        return;
                    }
                }

                if (branch.Else is not null)
                {
                    Render(branch.Else);
                }

                break;
            case ForNode loop:
                ExecuteFor(loop);
                break;
            case SetNode set:
                ExecuteSet(set);
                break;
            case MacroNode macro:
                _scopes[^1][macro.Name] = MakeMacro(macro);
                break;
            case GenerationNode generation:
                int start = _output.Length;
                Render(generation.Body);
                _generation.Add((start, _output.Length));
                break;
            case LoopControlNode control:
                throw new JinjaLoopControl(control.IsBreak);
            default:
                throw _error(node.GetType().Name, "is not supported", node.Line);
        }
    }

    private void Write(JinjaString text)
    {
        _output.Append(text.Text);
        for (int i = 0; i < text.Text.Length; i++)
        {
            _owners.Add(text.OwnerAt(i));
        }
    }

    private void ExecuteFor(ForNode loop)
    {
        List<object?> items = Iterate(Evaluate(loop.Iterable), loop.Line);
        if (loop.Filter is not null)
        {
            items = [.. items.Where(item =>
            {
                _scopes.Add([]);
                try
                {
                    Bind(loop.Targets, item, loop.Line);
                    return IsTruthy(Evaluate(loop.Filter));
                }
                finally
                {
                    _scopes.RemoveAt(_scopes.Count - 1);
                }
            })];
        }

        if (items.Count == 0)
        {
            if (loop.Else is not null)
            {
                Render(loop.Else);
            }

            return;
        }

        for (int i = 0; i < items.Count; i++)
        {
            var scope = new Dictionary<string, object?>();
            _scopes.Add(scope);
            try
            {
                Bind(loop.Targets, items[i], loop.Line);
                scope["loop"] = MakeLoop(items, i);
                Render(loop.Body);
            }
            catch (JinjaLoopControl control)
            {
                if (control.IsBreak)
                {
                    break;
                }
            }
            finally
            {
                _scopes.RemoveAt(_scopes.Count - 1);
            }
        }
    }

    private static JinjaDict MakeLoop(List<object?> items, int i)
    {
        var loop = new JinjaDict();
        loop.Items[new JinjaString("index")] = (long)(i + 1);
        loop.Items[new JinjaString("index0")] = (long)i;
        loop.Items[new JinjaString("revindex")] = (long)(items.Count - i);
        loop.Items[new JinjaString("revindex0")] = (long)(items.Count - i - 1);
        loop.Items[new JinjaString("first")] = i == 0;
        loop.Items[new JinjaString("last")] = i == items.Count - 1;
        loop.Items[new JinjaString("length")] = (long)items.Count;
        loop.Items[new JinjaString("previtem")] = i > 0 ? items[i - 1] : JinjaUndefined.Instance;
        loop.Items[new JinjaString("nextitem")] = i + 1 < items.Count ? items[i + 1] : JinjaUndefined.Instance;
        loop.Items[new JinjaString("cycle")] = new JinjaCallable("loop.cycle", (arguments, _) => arguments.Count == 0 ? null : arguments[i % arguments.Count]);
        return loop;
    }

    private void Bind(List<string> targets, object? item, int line)
    {
        if (targets.Count == 1)
        {
            _scopes[^1][targets[0]] = item;
            return;
        }

        List<object?> parts = Iterate(item, line);
        if (parts.Count != targets.Count)
        {
            throw _error("for", $"cannot unpack {parts.Count} values into {targets.Count} loop variables", line);
        }

        for (int i = 0; i < targets.Count; i++)
        {
            _scopes[^1][targets[i]] = parts[i];
        }
    }

    private void ExecuteSet(SetNode set)
    {
        object? value;
        if (set.Body is not null)
        {
            var inner = new JinjaInterpreter(new Dictionary<string, object?>(), _error);
            inner._scopes.Clear();
            inner._scopes.AddRange(_scopes);
            inner.Render(set.Body);
            value = new JinjaString(inner.Text, inner._owners.Any(owner => owner != 0) ? [.. inner._owners] : null);
        }
        else
        {
            value = Evaluate(set.Value!);
        }

        switch (set.Target)
        {
            case NameExpression name:
                _scopes[^1][name.Name] = value;
                break;
            case AttributeExpression { Target: NameExpression owner } attribute:
                if (Lookup(owner.Name) is not JinjaNamespace ns)
                {
                    throw _error($"set {owner.Name}.{attribute.Name}", "can only assign attributes of a namespace()", set.Line);
                }

                ns.Items[new JinjaString(attribute.Name)] = value;
                break;
            default:
                throw _error("set", "has an unsupported target", set.Line);
        }
    }

    private JinjaCallable MakeMacro(MacroNode macro)
    {
        List<Dictionary<string, object?>> closure = [.. _scopes];
        return new JinjaCallable(macro.Name, (arguments, keywords) =>
        {
            var scope = new Dictionary<string, object?>();
            for (int i = 0; i < macro.Parameters.Count; i++)
            {
                (string name, JinjaExpression? fallback) = macro.Parameters[i];
                scope[name] = i < arguments.Count ? arguments[i]
                    : keywords.TryGetValue(name, out object? given) ? given
                    : fallback is not null ? Evaluate(fallback)
                    : JinjaUndefined.Instance;
            }

            var inner = new JinjaInterpreter(new Dictionary<string, object?>(), _error);
            inner._scopes.Clear();
            inner._scopes.AddRange(closure);
            inner._scopes.Add(scope);
            inner.Render(macro.Body);
            return new JinjaString(inner.Text, inner._owners.Any(owner => owner != 0) ? [.. inner._owners] : null);
        });
    }

    private object? Lookup(string name)
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out object? value))
            {
                return value;
            }
        }

        return JinjaUndefined.Instance;
    }

    private object? Evaluate(JinjaExpression expression)
    {
        switch (expression)
        {
            case LiteralExpression literal:
                return literal.Value;
            case NameExpression name:
                return Lookup(name.Name);
            case AttributeExpression attribute:
                return GetAttribute(Evaluate(attribute.Target), attribute.Name, attribute.Line);
            case ItemExpression item:
                return GetItem(Evaluate(item.Target), Evaluate(item.Key), item.Line);
            case SliceExpression slice:
                return Slice(Evaluate(slice.Target), slice, slice.Line);
            case CallExpression call:
            {
                object? callee = Evaluate(call.Callee);
                if (callee is not JinjaCallable callable)
                {
                    string what = call.Callee switch
                    {
                        NameExpression n => $"function '{n.Name}'",
                        AttributeExpression a => $"method '{a.Name}'",
                        _ => "call",
                    };
                    throw _error(what, "is not supported by this library's Jinja subset (or is not callable)", call.Line);
                }

                List<object?> arguments = [.. call.Arguments.Select(Evaluate)];
                var keywords = call.KeywordArguments.ToDictionary(pair => pair.Name, pair => Evaluate(pair.Value));
                return callable.Invoke(arguments, keywords);
            }

            case FilterExpression filter:
                return ApplyFilter(filter);
            case TestExpression test:
            {
                bool result = ApplyTest(test.Name, Evaluate(test.Value), [.. test.Arguments.Select(Evaluate)], test.Line);
                return test.Negated ? !result : result;
            }

            case UnaryExpression unary:
            {
                object? operand = Evaluate(unary.Operand);
                return unary.Operator switch
                {
                    "not" => !IsTruthy(operand),
                    "-" => operand switch
                    {
                        long l => (object)(-l),
                        double d => -d,
                        _ => throw _error("unary '-'", $"cannot negate {TypeName(operand)}", unary.Line),
                    },
                    _ => operand,
                };
            }

            case BinaryExpression binary:
                return EvaluateBinary(binary);
            case ConditionalExpression conditional:
                return IsTruthy(Evaluate(conditional.Condition))
                    ? Evaluate(conditional.Then)
                    : conditional.Else is null ? JinjaUndefined.Instance : Evaluate(conditional.Else);
            case ListExpression list:
                return list.Items.Select(Evaluate).ToList();
            case DictExpression dict:
            {
                var result = new JinjaDict();
                foreach ((JinjaExpression key, JinjaExpression value) in dict.Items)
                {
                    result.Items[Evaluate(key) ?? JinjaUndefined.Instance] = Evaluate(value);
                }

                return result;
            }

            default:
                throw _error(expression.GetType().Name, "is not supported", expression.Line);
        }
    }

    private object? EvaluateBinary(BinaryExpression binary)
    {
        if (binary.Operator == "and")
        {
            object? left = Evaluate(binary.Left);
            return IsTruthy(left) ? Evaluate(binary.Right) : left;
        }

        if (binary.Operator == "or")
        {
            object? left = Evaluate(binary.Left);
            return IsTruthy(left) ? left : Evaluate(binary.Right);
        }

        object? a = Evaluate(binary.Left);
        object? b = Evaluate(binary.Right);
        switch (binary.Operator)
        {
            case "~":
                return JinjaString.Concat(ToJinjaString(a), ToJinjaString(b));
            case "+":
                if (a is JinjaString sa && b is JinjaString sb)
                {
                    return JinjaString.Concat(sa, sb);
                }

                if (a is List<object?> la && b is List<object?> lb)
                {
                    return la.Concat(lb).ToList();
                }

                return Arithmetic(binary, a, b);
            case "-" or "*" or "/" or "//" or "%" or "**":
                if (binary.Operator == "*" && a is JinjaString repeated && b is long times)
                {
                    return new JinjaString(string.Concat(Enumerable.Repeat(repeated.Text, (int)Math.Max(0, times))));
                }

                return Arithmetic(binary, a, b);
            case "==":
                return AreEqual(a, b);
            case "!=":
                return !AreEqual(a, b);
            case "<" or ">" or "<=" or ">=":
            {
                int order = Compare(a, b, binary.Line);
                return binary.Operator switch { "<" => order < 0, ">" => order > 0, "<=" => order <= 0, _ => order >= 0 };
            }

            case "in":
                return Contains(b, a, binary.Line);
            default:
                throw _error($"operator '{binary.Operator}'", "is not supported", binary.Line);
        }
    }

    private object? Arithmetic(BinaryExpression binary, object? a, object? b)
    {
        if (a is bool ba)
        {
            a = ba ? 1L : 0L;
        }

        if (b is bool bb)
        {
            b = bb ? 1L : 0L;
        }

        if (a is long x && b is long y)
        {
            return binary.Operator switch
            {
                "+" => (object)(x + y),
                "-" => x - y,
                "*" => x * y,
                "/" => (double)x / y,
                "//" => (long)Math.Floor((double)x / y),
                "%" => ((x % y) + y) % y,
                _ => y >= 0 ? (object)(long)Math.Pow(x, y) : Math.Pow(x, y),
            };
        }

        if (a is long or double && b is long or double)
        {
            double p = Convert.ToDouble(a, CultureInfo.InvariantCulture);
            double q = Convert.ToDouble(b, CultureInfo.InvariantCulture);
            return binary.Operator switch
            {
                "+" => p + q,
                "-" => p - q,
                "*" => p * q,
                "/" => p / q,
                "//" => Math.Floor(p / q),
                "%" => p - (q * Math.Floor(p / q)),
                _ => Math.Pow(p, q),
            };
        }

        throw _error($"operator '{binary.Operator}'", $"cannot combine {TypeName(a)} and {TypeName(b)}", binary.Line);
    }

    private bool Contains(object? container, object? item, int line) => container switch
    {
        JinjaString s => item is JinjaString needle ? s.Text.Contains(needle.Text, StringComparison.Ordinal) : throw _error("'in'", $"needs a string on the left of a string, got {TypeName(item)}", line),
        List<object?> list => list.Any(element => AreEqual(element, item)),
        JinjaDict dict => item is not null && dict.Items.ContainsKey(item),
        JinjaUndefined or null => throw _error("'in'", $"cannot search {TypeName(container)}", line),
        _ => throw _error("'in'", $"cannot search {TypeName(container)}", line),
    };

    private object? GetAttribute(object? target, string name, int line)
    {
        switch (target)
        {
            case JinjaString s:
                return StringMethod(s, name, line);
            case List<object?> list:
                return ListMethod(list, name, line);
            case JinjaDict dict:
                if (dict is not JinjaNamespace && name is "get" or "items" or "keys" or "values")
                {
                    return DictMethod(dict, name);
                }

                return dict.Items.TryGetValue(new JinjaString(name), out object? value) ? value : JinjaUndefined.Instance;
            default:
                return JinjaUndefined.Instance;
        }
    }

    private object? GetItem(object? target, object? key, int line)
    {
        switch (target)
        {
            case JinjaDict dict:
                return key is not null && dict.Items.TryGetValue(key, out object? value) ? value : JinjaUndefined.Instance;
            case List<object?> list when key is long index:
            {
                long at = index < 0 ? list.Count + index : index;
                return at >= 0 && at < list.Count ? list[(int)at] : JinjaUndefined.Instance;
            }

            case JinjaString s when key is long index:
            {
                long at = index < 0 ? s.Text.Length + index : index;
                return at >= 0 && at < s.Text.Length ? s.Substring((int)at, 1) : JinjaUndefined.Instance;
            }

            case JinjaString s when key is JinjaString name:
                return StringMethod(s, name.Text, line);
            case JinjaUndefined or null:
                return JinjaUndefined.Instance;
            default:
                throw _error("subscript", $"cannot index {TypeName(target)} with {TypeName(key)}", line);
        }
    }

    private object? Slice(object? target, SliceExpression slice, int line)
    {
        long? Bound(JinjaExpression? expression) => expression is null ? null : Evaluate(expression) switch
        {
            long l => l,
            null => null,
            var other => throw _error("slice", $"bounds must be integers, got {TypeName(other)}", line),
        };

        long? start = Bound(slice.Start);
        long? stop = Bound(slice.Stop);
        long step = Bound(slice.Step) ?? 1;
        if (step == 0)
        {
            throw _error("slice", "step cannot be zero", line);
        }

        int length = target switch
        {
            List<object?> list => list.Count,
            JinjaString s => s.Text.Length,
            _ => throw _error("slice", $"cannot slice {TypeName(target)}", line),
        };
        var indices = new List<int>();
        if (step > 0)
        {
            long from = Clamp(start ?? 0, length, 0, length);
            long to = Clamp(stop ?? length, length, 0, length);
            for (long i = from; i < to; i += step)
            {
                indices.Add((int)i);
            }
        }
        else
        {
            long from = Clamp(start ?? length - 1, length, -1, length - 1);
            long to = stop is null ? -1 : Clamp(stop.Value, length, -1, length - 1);
            for (long i = from; i > to; i += step)
            {
                indices.Add((int)i);
            }
        }

        if (target is List<object?> items)
        {
            return indices.Select(i => items[i]).ToList();
        }

        var text = (JinjaString)target!;
        return new JinjaString(
            new string([.. indices.Select(i => text.Text[i])]),
            text.Owners is null ? null : [.. indices.Select(i => text.Owners[i])]);

        static long Clamp(long value, int length, long low, long high)
        {
            if (value < 0)
            {
                value += length;
            }

            return Math.Clamp(value, low, high);
        }
    }

    internal static bool IsTruthy(object? value) => value switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        JinjaString s => s.Text.Length > 0,
        List<object?> list => list.Count > 0,
        JinjaDict dict => dict.Items.Count > 0,
        _ => true,
    };

    internal static bool AreEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (JinjaUndefined, JinjaUndefined) => true,
        (JinjaString x, JinjaString y) => x.Text == y.Text,
        (long or double or bool, long or double or bool) => ToDouble(a) == ToDouble(b),
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(pair => AreEqual(pair.First, pair.Second)),
        (JinjaDict x, JinjaDict y) => x.Items.Count == y.Items.Count && x.Items.All(pair => y.Items.TryGetValue(pair.Key, out object? other) && AreEqual(pair.Value, other)),
        _ => ReferenceEquals(a, b),
    };

    private static double ToDouble(object? value) => value switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => double.NaN,
    };

    private int Compare(object? a, object? b, int line) => (a, b) switch
    {
        (JinjaString x, JinjaString y) => string.CompareOrdinal(x.Text, y.Text),
        (long or double or bool, long or double or bool) => ToDouble(a).CompareTo(ToDouble(b)),
        _ => throw _error("comparison", $"cannot order {TypeName(a)} and {TypeName(b)}", line),
    };

    internal static string TypeName(object? value) => value switch
    {
        null => "none",
        JinjaUndefined => "undefined",
        bool => "boolean",
        long => "integer",
        double => "float",
        JinjaString => "string",
        List<object?> => "list",
        JinjaDict => "mapping",
        JinjaCallable => "function",
        _ => value.GetType().Name,
    };

    private List<object?> Iterate(object? value, int line) => value switch
    {
        List<object?> list => list,
        JinjaDict dict => [.. dict.Items.Keys],
        JinjaString s => [.. Enumerable.Range(0, s.Text.Length).Select(i => (object?)s.Substring(i, 1))],
        JinjaUndefined => [],
        _ => throw _error("for", $"cannot iterate over {TypeName(value)}", line),
    };
}
