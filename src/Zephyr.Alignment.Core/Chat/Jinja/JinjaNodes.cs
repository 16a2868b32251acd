namespace Zephyr.Alignment.Chat.Jinja;

/// <summary>A node of a parsed Jinja template; <see cref="Line"/> is where it starts, for error messages.</summary>
internal abstract record JinjaNode(int Line);

internal sealed record TextNode(string Text, int Line) : JinjaNode(Line);

internal sealed record OutputNode(JinjaExpression Value, int Line) : JinjaNode(Line);

internal sealed record IfNode(List<(JinjaExpression Condition, List<JinjaNode> Body)> Branches, List<JinjaNode>? Else, int Line) : JinjaNode(Line);

internal sealed record ForNode(List<string> Targets, JinjaExpression Iterable, JinjaExpression? Filter, List<JinjaNode> Body, List<JinjaNode>? Else, int Line) : JinjaNode(Line);

internal sealed record SetNode(JinjaExpression Target, JinjaExpression? Value, List<JinjaNode>? Body, int Line) : JinjaNode(Line);

internal sealed record MacroNode(string Name, List<(string Name, JinjaExpression? Default)> Parameters, List<JinjaNode> Body, int Line) : JinjaNode(Line);

internal sealed record GenerationNode(List<JinjaNode> Body, int Line) : JinjaNode(Line);

internal sealed record LoopControlNode(bool IsBreak, int Line) : JinjaNode(Line);

/// <summary>An expression of a Jinja template.</summary>
internal abstract record JinjaExpression(int Line);

internal sealed record LiteralExpression(object? Value, int Line) : JinjaExpression(Line);

internal sealed record NameExpression(string Name, int Line) : JinjaExpression(Line);

internal sealed record AttributeExpression(JinjaExpression Target, string Name, int Line) : JinjaExpression(Line);

internal sealed record ItemExpression(JinjaExpression Target, JinjaExpression Key, int Line) : JinjaExpression(Line);

internal sealed record SliceExpression(JinjaExpression Target, JinjaExpression? Start, JinjaExpression? Stop, JinjaExpression? Step, int Line) : JinjaExpression(Line);

internal sealed record CallExpression(JinjaExpression Callee, List<JinjaExpression> Arguments, List<(string Name, JinjaExpression Value)> KeywordArguments, int Line) : JinjaExpression(Line);

internal sealed record FilterExpression(JinjaExpression Value, string Name, List<JinjaExpression> Arguments, List<(string Name, JinjaExpression Value)> KeywordArguments, int Line) : JinjaExpression(Line);

internal sealed record TestExpression(JinjaExpression Value, string Name, List<JinjaExpression> Arguments, bool Negated, int Line) : JinjaExpression(Line);

internal sealed record UnaryExpression(string Operator, JinjaExpression Operand, int Line) : JinjaExpression(Line);

internal sealed record BinaryExpression(string Operator, JinjaExpression Left, JinjaExpression Right, int Line) : JinjaExpression(Line);

internal sealed record ConditionalExpression(JinjaExpression Condition, JinjaExpression Then, JinjaExpression? Else, int Line) : JinjaExpression(Line);

internal sealed record ListExpression(List<JinjaExpression> Items, int Line) : JinjaExpression(Line);

internal sealed record DictExpression(List<(JinjaExpression Key, JinjaExpression Value)> Items, int Line) : JinjaExpression(Line);
