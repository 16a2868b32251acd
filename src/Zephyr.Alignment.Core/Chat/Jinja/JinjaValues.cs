namespace Zephyr.Alignment.Chat.Jinja;

/// <summary>
/// A Jinja string. <see cref="Owners"/> remembers, per character, which message's content it came from (message
/// index + 1; 0 = the template), so the rendered text knows where each assistant message's content landed however
/// the template sliced, stripped or concatenated it.
/// </summary>
internal sealed class JinjaString : IEquatable<JinjaString>
{
    public JinjaString(string text, int[]? owners = null)
    {
        Text = text;
        Owners = owners;
    }

    public string Text { get; }

    public int[]? Owners { get; }

    public int OwnerAt(int index) => Owners is null ? 0 : Owners[index];

    public JinjaString Substring(int start, int length) =>
        new(Text.Substring(start, length), Owners?[start..(start + length)]);

    public static JinjaString Concat(JinjaString left, JinjaString right)
    {
        if (left.Owners is null && right.Owners is null)
        {
            return new JinjaString(left.Text + right.Text);
        }

        int[] owners = new int[left.Text.Length + right.Text.Length];
        left.Owners?.CopyTo(owners, 0);
        right.Owners?.CopyTo(owners, left.Text.Length);
        return new JinjaString(left.Text + right.Text, owners);
    }

    public bool Equals(JinjaString? other) => other is not null && string.Equals(Text, other.Text, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is JinjaString other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Text);

    public override string ToString() => Text;
}

/// <summary>Jinja's undefined value: falsy, renders as nothing, and any attribute of it is undefined too.</summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new();

    private JinjaUndefined()
    {
    }
}

/// <summary>A Jinja mapping (a Python dict), keeping insertion order.</summary>
internal class JinjaDict
{
    public OrderedDictionary<object, object?> Items { get; } = new(JinjaKeyComparer.Instance);
}

/// <summary>The object <c>namespace(...)</c> returns: a mapping whose attributes <c>set ns.x = ...</c> may change.</summary>
internal sealed class JinjaNamespace : JinjaDict;

/// <summary>A callable: a macro, a global function or a bound method.</summary>
internal sealed class JinjaCallable(string name, Func<List<object?>, Dictionary<string, object?>, object?> invoke)
{
    public string Name => name;

    public object? Invoke(List<object?> arguments, Dictionary<string, object?> keywords) => invoke(arguments, keywords);
}

/// <summary>Dictionary keys compare as Python's do: strings by text, numbers by value.</summary>
internal sealed class JinjaKeyComparer : IEqualityComparer<object>
{
    public static readonly JinjaKeyComparer Instance = new();

    public new bool Equals(object? x, object? y) => JinjaInterpreter.AreEqual(x, y);

    public int GetHashCode(object obj) => obj switch
    {
        JinjaString s => s.GetHashCode(),
        long l => l.GetHashCode(),
        double d when d == Math.Floor(d) && Math.Abs(d) < long.MaxValue => ((long)d).GetHashCode(),
        bool b => (b ? 1L : 0L).GetHashCode(),
        _ => obj.GetHashCode(),
    };
}

/// <summary>A <c>break</c> or <c>continue</c> travelling up to its loop.</summary>
internal sealed class JinjaLoopControl(bool isBreak) : Exception
{
    public bool IsBreak => isBreak;
}
