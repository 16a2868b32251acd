using System.Globalization;

namespace Zephyr.Alignment.Chat.Jinja;

/// <summary>Parses <see cref="JinjaLexer"/> tokens into nodes, with Jinja2's operator precedence.</summary>
internal sealed class JinjaParser
{
    private readonly List<JinjaToken> _tokens;
    private readonly Func<string, string, int, Exception> _error;
    private int _position;

    private JinjaParser(List<JinjaToken> tokens, Func<string, string, int, Exception> error)
    {
        _tokens = tokens;
        _error = error;
    }

    public static List<JinjaNode> Parse(string source, Func<string, string, int, Exception> error)
    {
        var parser = new JinjaParser(JinjaLexer.Tokenize(source, error), error);
        List<JinjaNode> body = parser.ParseBody(out string? end);
        if (end is not null)
        {
            throw error($"tag '{end}'", "has no matching opening tag", parser.Current.Line);
        }

        return body;
    }

    private JinjaToken Current => _tokens[_position];

    private List<JinjaNode> ParseBody(out string? endTag, params string[] endTags)
    {
        var nodes = new List<JinjaNode>();
        while (true)
        {
            JinjaToken token = Current;
            switch (token.Kind)
            {
                case JinjaTokenKind.End:
                    if (endTags.Length > 0)
                    {
                        throw _error($"tag '{endTags[^1]}'", "is missing (the template ends first)", token.Line);
                    }

                    endTag = null;
                    return nodes;
                case JinjaTokenKind.Text:
                    nodes.Add(new TextNode(token.Value, token.Line));
                    _position++;
                    break;
                case JinjaTokenKind.VariableStart:
                    _position++;
                    JinjaExpression value = ParseExpression();
                    Expect(JinjaTokenKind.VariableEnd, "'}}'");
                    nodes.Add(new OutputNode(value, token.Line));
                    break;
                case JinjaTokenKind.BlockStart:
                    string name = _tokens[_position + 1].Kind == JinjaTokenKind.Name ? _tokens[_position + 1].Value : string.Empty;
                    if (endTags.Contains(name) || (endTags.Length == 0 && name.StartsWith("end", StringComparison.Ordinal)) || name is "elif" or "else" && endTags.Length == 0)
                    {
                        _position += 2;
                        endTag = name;
                        return nodes;
                    }

                    _position += 2;
                    nodes.Add(ParseStatement(name, token.Line));
                    break;
                default:
                    throw _error($"token '{token.Value}'", "was not expected here", token.Line);
            }
        }
    }

    private JinjaNode ParseStatement(string name, int line)
    {
        switch (name)
        {
            case "if":
            {
                var branches = new List<(JinjaExpression, List<JinjaNode>)>();
                JinjaExpression condition = ParseExpression();
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                while (true)
                {
                    List<JinjaNode> body = ParseBody(out string? end, "elif", "else", "endif");
                    branches.Add((condition, body));
                    if (end == "elif")
                    {
                        condition = ParseExpression();
                        Expect(JinjaTokenKind.BlockEnd, "'%}'");
                        continue;
                    }

                    List<JinjaNode>? otherwise = null;
                    if (end == "else")
                    {
                        Expect(JinjaTokenKind.BlockEnd, "'%}'");
                        otherwise = ParseBody(out _, "endif");
                    }

                    Expect(JinjaTokenKind.BlockEnd, "'%}'");
                    return new IfNode(branches, otherwise, line);
                }
            }

            case "for":
            {
                var targets = new List<string> { ExpectName() };
                while (IsOperator(","))
                {
                    _position++;
                    targets.Add(ExpectName());
                }

                if (!IsName("in"))
                {
                    throw _error("for", "expects 'in' after the loop variables", line);
                }

                _position++;
                JinjaExpression iterable = ParseOr(allowConditional: false);
                JinjaExpression? filter = null;
                if (IsName("if"))
                {
                    _position++;
                    filter = ParseOr(allowConditional: false);
                }

                if (IsName("recursive"))
                {
                    throw _error("for ... recursive", "is not supported", line);
                }

                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                List<JinjaNode> body = ParseBody(out string? end, "else", "endfor");
                List<JinjaNode>? otherwise = null;
                if (end == "else")
                {
                    Expect(JinjaTokenKind.BlockEnd, "'%}'");
                    otherwise = ParseBody(out _, "endfor");
                }

                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new ForNode(targets, iterable, filter, body, otherwise, line);
            }

            case "set":
            {
                JinjaExpression target = new NameExpression(ExpectName(), line);
                if (IsOperator("."))
                {
                    _position++;
                    target = new AttributeExpression(target, ExpectName(), line);
                }

                if (IsOperator(","))
                {
                    throw _error("set with several targets", "is not supported", line);
                }

                if (IsOperator("="))
                {
                    _position++;
                    JinjaExpression value = ParseExpression();
                    Expect(JinjaTokenKind.BlockEnd, "'%}'");
                    return new SetNode(target, value, null, line);
                }

                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                List<JinjaNode> body = ParseBody(out _, "endset");
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new SetNode(target, null, body, line);
            }

            case "macro":
            {
                string macroName = ExpectName();
                Expect(JinjaTokenKind.Operator, "'('", "(");
                var parameters = new List<(string, JinjaExpression?)>();
                while (!IsOperator(")"))
                {
                    string parameter = ExpectName();
                    JinjaExpression? fallback = null;
                    if (IsOperator("="))
                    {
                        _position++;
                        fallback = ParseExpression();
                    }

                    parameters.Add((parameter, fallback));
                    if (IsOperator(","))
                    {
                        _position++;
                    }
                }

                _position++;
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                List<JinjaNode> body = ParseBody(out _, "endmacro");
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new MacroNode(macroName, parameters, body, line);
            }

            case "generation":
            {
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                List<JinjaNode> body = ParseBody(out _, "endgeneration");
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new GenerationNode(body, line);
            }

            case "break":
            case "continue":
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new LoopControlNode(name == "break", line);
            default:
                throw _error($"tag '{name}'", "is not supported by this library's Jinja subset", line);
        }
    }

    private JinjaExpression ParseExpression() => ParseOr(allowConditional: true);

    private JinjaExpression ParseOr(bool allowConditional)
    {
        JinjaExpression left = ParseAnd();
        while (IsName("or"))
        {
            int line = Current.Line;
            _position++;
            left = new BinaryExpression("or", left, ParseAnd(), line);
        }

        if (allowConditional && IsName("if"))
        {
            int line = Current.Line;
            _position++;
            JinjaExpression condition = ParseOr(allowConditional: false);
            JinjaExpression? otherwise = null;
            if (IsName("else"))
            {
                _position++;
                otherwise = ParseOr(allowConditional: true);
            }

            return new ConditionalExpression(condition, left, otherwise, line);
        }

        return left;
    }

    private JinjaExpression ParseAnd()
    {
        JinjaExpression left = ParseNot();
        while (IsName("and"))
        {
            int line = Current.Line;
            _position++;
            left = new BinaryExpression("and", left, ParseNot(), line);
        }

        return left;
    }

    private JinjaExpression ParseNot()
    {
        if (IsName("not"))
        {
            int line = Current.Line;
            _position++;
            return new UnaryExpression("not", ParseNot(), line);
        }

        return ParseCompare();
    }

    private JinjaExpression ParseCompare()
    {
        JinjaExpression left = ParseMath1();
        while (true)
        {
            int line = Current.Line;
            if (Current.Kind == JinjaTokenKind.Operator && Current.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                string op = Current.Value;
                _position++;
                left = new BinaryExpression(op, left, ParseMath1(), line);
            }
            else if (IsName("in"))
            {
                _position++;
                left = new BinaryExpression("in", left, ParseMath1(), line);
            }
            else if (IsName("not") && _tokens[_position + 1] is { Kind: JinjaTokenKind.Name, Value: "in" })
            {
                _position += 2;
                left = new UnaryExpression("not", new BinaryExpression("in", left, ParseMath1(), line), line);
            }
            else
            {
                return left;
            }
        }
    }

    private JinjaExpression ParseMath1()
    {
        JinjaExpression left = ParseConcat();
        while (Current.Kind == JinjaTokenKind.Operator && Current.Value is "+" or "-")
        {
            JinjaToken op = Current;
            _position++;
            left = new BinaryExpression(op.Value, left, ParseConcat(), op.Line);
        }

        return left;
    }

    private JinjaExpression ParseConcat()
    {
        JinjaExpression left = ParseMath2();
        while (IsOperator("~"))
        {
            int line = Current.Line;
            _position++;
            left = new BinaryExpression("~", left, ParseMath2(), line);
        }

        return left;
    }

    private JinjaExpression ParseMath2()
    {
        JinjaExpression left = ParsePow();
        while (Current.Kind == JinjaTokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            JinjaToken op = Current;
            _position++;
            left = new BinaryExpression(op.Value, left, ParsePow(), op.Line);
        }

        return left;
    }

    private JinjaExpression ParsePow()
    {
        JinjaExpression left = ParseUnary();
        while (IsOperator("**"))
        {
            int line = Current.Line;
            _position++;
            left = new BinaryExpression("**", left, ParseUnary(), line);
        }

        return left;
    }

    private JinjaExpression ParseUnary()
    {
        if (Current.Kind == JinjaTokenKind.Operator && Current.Value is "-" or "+")
        {
            JinjaToken op = Current;
            _position++;
            return new UnaryExpression(op.Value, ParseUnary(), op.Line);
        }

        return ParseFilters(ParsePostfix(ParsePrimary()));
    }

    private JinjaExpression ParseFilters(JinjaExpression value)
    {
        while (true)
        {
            if (IsOperator("|"))
            {
                int line = Current.Line;
                _position++;
                string name = ParseDottedName();
                var arguments = new List<JinjaExpression>();
                var keywords = new List<(string, JinjaExpression)>();
                if (IsOperator("("))
                {
                    ParseArguments(arguments, keywords);
                }

                value = new FilterExpression(value, name, arguments, keywords, line);
            }
            else if (IsName("is"))
            {
                int line = Current.Line;
                _position++;
                bool negated = false;
                if (IsName("not"))
                {
                    negated = true;
                    _position++;
                }

                string name = ParseDottedName();
                var arguments = new List<JinjaExpression>();
                if (IsOperator("("))
                {
                    ParseArguments(arguments, []);
                }
                else if (Current.Kind is JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float
                    || (Current.Kind == JinjaTokenKind.Name && Current.Value is not ("and" or "or" or "else" or "if" or "is" or "in" or "not")))
                {
                    // `x is divisibleby 3`, `x is sameas none`: one argument without parentheses.
                    arguments.Add(ParsePostfix(ParsePrimary()));
                }

                value = new TestExpression(value, name, arguments, negated, line);
            }
            else
            {
                return value;
            }
        }
    }

    private string ParseDottedName()
    {
        string name = ExpectName();
        while (IsOperator(".") && _tokens[_position + 1].Kind == JinjaTokenKind.Name)
        {
            _position++;
            name += "." + ExpectName();
        }

        return name;
    }

    private JinjaExpression ParsePostfix(JinjaExpression value)
    {
        while (true)
        {
            int line = Current.Line;
            if (IsOperator("."))
            {
                _position++;
                value = Current.Kind == JinjaTokenKind.Integer
                    ? new ItemExpression(value, new LiteralExpression(long.Parse(Next().Value, CultureInfo.InvariantCulture), line), line)
                    : new AttributeExpression(value, ExpectName(), line);
            }
            else if (IsOperator("["))
            {
                _position++;
                JinjaExpression? start = null;
                if (!IsOperator(":"))
                {
                    start = ParseExpression();
                }

                if (IsOperator("]"))
                {
                    _position++;
                    value = new ItemExpression(value, start!, line);
                    continue;
                }

                Expect(JinjaTokenKind.Operator, "':'", ":");
                JinjaExpression? stop = IsOperator(":") || IsOperator("]") ? null : ParseExpression();
                JinjaExpression? step = null;
                if (IsOperator(":"))
                {
                    _position++;
                    step = IsOperator("]") ? null : ParseExpression();
                }

                Expect(JinjaTokenKind.Operator, "']'", "]");
                value = new SliceExpression(value, start, stop, step, line);
            }
            else if (IsOperator("("))
            {
                var arguments = new List<JinjaExpression>();
                var keywords = new List<(string, JinjaExpression)>();
                ParseArguments(arguments, keywords);
                value = new CallExpression(value, arguments, keywords, line);
            }
            else
            {
                return value;
            }
        }
    }

    private void ParseArguments(List<JinjaExpression> arguments, List<(string, JinjaExpression)> keywords)
    {
        Expect(JinjaTokenKind.Operator, "'('", "(");
        while (!IsOperator(")"))
        {
            if (Current.Kind == JinjaTokenKind.Name && _tokens[_position + 1] is { Kind: JinjaTokenKind.Operator, Value: "=" })
            {
                string name = Next().Value;
                _position++;
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                arguments.Add(ParseExpression());
            }

            if (IsOperator(","))
            {
                _position++;
            }
            else if (!IsOperator(")"))
            {
                throw _error($"token '{Current.Value}'", "was not expected in an argument list", Current.Line);
            }
        }

        _position++;
    }

    private JinjaExpression ParsePrimary()
    {
        JinjaToken token = Next();
        switch (token.Kind)
        {
            case JinjaTokenKind.String:
            {
                // Adjacent string literals concatenate, as in Python.
                string text = token.Value;
                while (Current.Kind == JinjaTokenKind.String)
                {
                    text += Next().Value;
                }

                return new LiteralExpression(new JinjaString(text), token.Line);
            }

            case JinjaTokenKind.Integer:
                return new LiteralExpression(long.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case JinjaTokenKind.Float:
                return new LiteralExpression(double.Parse(token.Value, CultureInfo.InvariantCulture), token.Line);
            case JinjaTokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpression(true, token.Line),
                    "false" or "False" => new LiteralExpression(false, token.Line),
                    "none" or "None" => new LiteralExpression(null, token.Line),
                    _ => new NameExpression(token.Value, token.Line),
                };
            case JinjaTokenKind.Operator when token.Value == "(":
            {
                if (IsOperator(")"))
                {
                    _position++;
                    return new ListExpression([], token.Line);
                }

                JinjaExpression inner = ParseExpression();
                if (IsOperator(","))
                {
                    var items = new List<JinjaExpression> { inner };
                    while (IsOperator(","))
                    {
                        _position++;
                        if (IsOperator(")"))
                        {
                            break;
                        }

                        items.Add(ParseExpression());
                    }

                    inner = new ListExpression(items, token.Line);
                }

                Expect(JinjaTokenKind.Operator, "')'", ")");
                return inner;
            }

            case JinjaTokenKind.Operator when token.Value == "[":
            {
                var items = new List<JinjaExpression>();
                while (!IsOperator("]"))
                {
                    items.Add(ParseExpression());
                    if (IsOperator(","))
                    {
                        _position++;
                    }
                }

                _position++;
                return new ListExpression(items, token.Line);
            }

            case JinjaTokenKind.Operator when token.Value == "{":
            {
                var items = new List<(JinjaExpression, JinjaExpression)>();
                while (!IsOperator("}"))
                {
                    JinjaExpression key = ParseExpression();
                    Expect(JinjaTokenKind.Operator, "':'", ":");
                    items.Add((key, ParseExpression()));
                    if (IsOperator(","))
                    {
                        _position++;
                    }
                }

                _position++;
                return new DictExpression(items, token.Line);
            }

            default:
                throw _error($"token '{(token.Kind == JinjaTokenKind.BlockEnd ? "%}" : token.Kind == JinjaTokenKind.VariableEnd ? "}}" : token.Value)}'", "was not expected in an expression", token.Line);
        }
    }

    private JinjaToken Next() => _tokens[_position++];

    private bool IsOperator(string op) => Current.Kind == JinjaTokenKind.Operator && Current.Value == op;

    private bool IsName(string name) => Current.Kind == JinjaTokenKind.Name && Current.Value == name;

    private string ExpectName()
    {
        JinjaToken token = Next();
        if (token.Kind != JinjaTokenKind.Name)
        {
            throw _error($"token '{token.Value}'", "was found where a name was expected", token.Line);
        }

        return token.Value;
    }

    private void Expect(JinjaTokenKind kind, string what, string? value = null)
    {
        JinjaToken token = Next();
        if (token.Kind != kind || (value is not null && token.Value != value))
        {
            throw _error($"token '{token.Value}'", $"was found where {what} was expected", token.Line);
        }
    }
}
