using System.Globalization;
using System.Text.Json;
using Zephyr.Alignment.Chat.Jinja;

namespace Zephyr.Alignment.Chat;

/// <summary>
/// Renders any Hugging Face chat template (the Jinja <c>chat_template</c> of <c>tokenizer_config.json</c> or
/// <c>chat_template.jinja</c>) the way transformers' <c>apply_chat_template</c> does, with this library's own
/// interpreter for the Jinja subset that chat templates use.
/// </summary>
/// <remarks>
/// <para><b>Subset.</b> Tags <c>if</c>/<c>elif</c>/<c>else</c>, <c>for</c> (with <c>else</c>, a filter condition,
/// <c>loop.*</c>, tuple unpacking, <c>break</c>/<c>continue</c>), <c>set</c> (also block <c>set</c> and
/// <c>namespace</c> attributes), <c>macro</c>, <c>generation</c>; whitespace control <c>-</c>/<c>+</c> with
/// transformers' <c>trim_blocks</c> and <c>lstrip_blocks</c>; Python operators, slicing and negative indexes;
/// filters, tests and string/list/dict methods listed in <c>docs/chat-templates.md</c>; globals
/// <c>raise_exception</c>, <c>strftime_now</c>, <c>range</c>, <c>namespace</c>. Anything else is a
/// <see cref="ChatTemplateException"/> naming the construct, the file and the line, when the template is parsed
/// (unknown tags) or rendered (unknown filters, tests, methods, functions). Never a silent fallback.</para>
/// <para><b>Variables.</b> <c>messages</c>, <c>add_generation_prompt</c>, <c>bos_token</c>, <c>eos_token</c>,
/// <c>tools</c> and <c>documents</c> (when given), and every entry of <see cref="ChatRenderOptions.Variables"/>
/// (e.g. <c>enable_thinking</c> for Qwen3, other special tokens).</para>
/// <para><b>Assistant spans.</b> When the template has <c>{% generation %}</c> blocks, the spans are exactly what
/// those blocks wrote, as transformers' <c>return_assistant_tokens_mask</c> (TRL's <c>assistant_only_loss</c>)
/// takes them. Otherwise every character is traced to the message it came from through concatenation, slicing,
/// <c>trim</c>, <c>strip</c> and <c>split</c>, so each assistant message's content is found where the template
/// wrote it (never by searching the text); pieces of one message with template text between them form one span,
/// which then also takes the end-of-turn marker the template writes
/// right after it (the eos token, <c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, <c>&lt;end_of_turn&gt;</c>,
/// <c>&lt;|end|&gt;</c>, <c>&lt;|endoftext|&gt;</c>, optionally after spaces). An assistant message whose content
/// the template wrote in a way that cannot be traced is a <see cref="FormatException"/>, not an empty mask.</para>
/// </remarks>
public sealed class JinjaChatTemplate : IChatTemplate
{
    private static readonly string[] EndOfTurnMarkers = ["<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "</s>"];

    private readonly List<JinjaNode> _nodes;

    /// <summary>Parses a chat template.</summary>
    /// <param name="source">The Jinja source.</param>
    /// <param name="sourceFile">Where it came from, for error messages.</param>
    /// <param name="name">The name reported by <see cref="Name"/>. Default: <c>jinja</c>.</param>
    /// <exception cref="ChatTemplateException">The source has a syntax error or a tag outside the supported subset.</exception>
    public JinjaChatTemplate(string source, string? sourceFile = null, string name = "jinja")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Source = source;
        SourceFile = sourceFile;
        Name = name;
        _nodes = JinjaParser.Parse(source, Error);
        HasGenerationBlocks = source.Contains("generation", StringComparison.Ordinal) && ContainsGeneration(_nodes);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The Jinja source.</summary>
    public string Source { get; }

    /// <summary>Where the source came from, or <see langword="null"/>.</summary>
    public string? SourceFile { get; }

    /// <summary>Whether the template marks assistant output with <c>{% generation %}</c> blocks.</summary>
    public bool HasGenerationBlocks { get; }

    /// <inheritdoc />
    /// <exception cref="FormatException">The template raised an error (<c>raise_exception</c>), or an assistant message's content cannot be traced.</exception>
    /// <exception cref="ChatTemplateException">The template uses a construct outside the supported subset.</exception>
    public RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null)
    {
        ChatGuard.CheckMessages(messages, nameof(messages));
        var list = new List<object?>(messages.Count);
        var assistant = new List<int>();
        for (int i = 0; i < messages.Count; i++)
        {
            var message = new JinjaDict();
            bool isAssistant = messages[i].Role == MessageRole.Assistant;
            message.Items[new JinjaString("role")] = new JinjaString(messages[i].Role.ToWireName());
            message.Items[new JinjaString("content")] = JinjaJson.Owned(messages[i].Content, isAssistant ? i + 1 : 0);
            list.Add(message);
            if (isAssistant && messages[i].Content.Length > 0)
            {
                assistant.Add(i);
            }
        }

        return RenderCore(list, assistant, options ?? new ChatRenderOptions());
    }

    /// <summary>
    /// Renders messages given as JSON objects, as transformers receives them: any keys (<c>role</c>,
    /// <c>content</c>, <c>tool_calls</c>, <c>reasoning_content</c>, ...) reach the template.
    /// </summary>
    /// <param name="messages">A JSON array of message objects.</param>
    /// <param name="options">Generation prompt, special tokens, tools, documents and extra variables.</param>
    /// <exception cref="ArgumentException"><paramref name="messages"/> is not an array of objects.</exception>
    /// <exception cref="FormatException">The template raised an error (<c>raise_exception</c>).</exception>
    /// <exception cref="ChatTemplateException">The template uses a construct outside the supported subset.</exception>
    public RenderedChat Render(JsonElement messages, ChatRenderOptions? options = null)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException($"messages must be a JSON array, not {messages.ValueKind}.", nameof(messages));
        }

        var list = new List<object?>();
        var assistant = new List<int>();
        int index = 0;
        foreach (JsonElement message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"Message {index} is a JSON {message.ValueKind}, not an object.", nameof(messages));
            }

            bool isAssistant = message.TryGetProperty("role", out JsonElement role) && role.ValueKind == JsonValueKind.String && role.GetString() == "assistant";
            var dict = new JinjaDict();
            foreach (JsonProperty property in message.EnumerateObject())
            {
                // Everything an assistant message holds is assistant output, except its role name.
                dict.Items[new JinjaString(property.Name)] = JinjaJson.FromJson(property.Value, isAssistant && property.Name != "role" ? index + 1 : 0);
            }

            list.Add(dict);
            if (isAssistant && message.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String && content.GetString()!.Length > 0)
            {
                assistant.Add(index);
            }

            index++;
        }

        return RenderCore(list, assistant, options ?? new ChatRenderOptions());
    }

    private RenderedChat RenderCore(List<object?> messages, List<int> assistantMessages, ChatRenderOptions options)
    {
        var globals = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = options.AddGenerationPrompt,
            ["bos_token"] = new JinjaString(options.BosToken),
            ["eos_token"] = new JinjaString(options.EosToken),
            ["raise_exception"] = new JinjaCallable("raise_exception", (arguments, _) =>
                throw new FormatException($"{(SourceFile is null ? "The chat template" : $"The chat template '{SourceFile}'")} raised: {(arguments.Count > 0 ? JinjaInterpreter.ToJinjaString(arguments[0]).Text : string.Empty)}")),
            ["strftime_now"] = new JinjaCallable("strftime_now", (arguments, _) =>
                new JinjaString(Strftime(options.Now?.Invoke() ?? DateTimeOffset.Now, arguments.Count > 0 ? JinjaInterpreter.ToJinjaString(arguments[0]).Text : "%Y-%m-%d"))),
            ["range"] = new JinjaCallable("range", (arguments, _) => Range(arguments)),
            ["namespace"] = new JinjaCallable("namespace", (arguments, keywords) =>
            {
                var ns = new JinjaNamespace();
                if (arguments.Count > 0 && arguments[0] is JinjaDict initial)
                {
                    foreach (KeyValuePair<object, object?> pair in initial.Items)
                    {
                        ns.Items[pair.Key] = pair.Value;
                    }
                }

                foreach ((string key, object? value) in keywords)
                {
                    ns.Items[new JinjaString(key)] = value;
                }

                return ns;
            }),
        };
        if (options.Tools is not null)
        {
            globals["tools"] = options.Tools.Select(tool => JinjaJson.FromJson(tool)).ToList();
        }

        if (options.Documents is not null)
        {
            globals["documents"] = options.Documents.Select(document => JinjaJson.FromJson(document)).ToList();
        }

        foreach ((string key, object? value) in options.Variables)
        {
            globals[key] = JinjaJson.FromObject(value);
        }

        var interpreter = new JinjaInterpreter(globals, Error);
        interpreter.Render(_nodes);
        string text = interpreter.Text;
        List<ChatSpan> spans = HasGenerationBlocks
            ? GenerationSpans(interpreter, assistantMessages)
            : TracedSpans(text, interpreter.Owners, options.EosToken);
        foreach (int message in assistantMessages.Where(message => !HasGenerationBlocks && !spans.Any(span => span.MessageIndex == message)))
        {
            throw new FormatException(
                $"{(SourceFile is null ? "The chat template" : $"The chat template '{SourceFile}'")} wrote assistant message {message} in a way " +
                "this library cannot trace to the rendered text (e.g. through 'replace'), so its assistant tokens are unknown. " +
                "Add {% generation %} blocks to the template or select a template by name.");
        }

        return new RenderedChat(text, spans);
    }

    private static List<ChatSpan> GenerationSpans(JinjaInterpreter interpreter, List<int> assistantMessages)
    {
        var spans = new List<ChatSpan>();
        int ordinal = 0;
        foreach ((int start, int end) in interpreter.GenerationRanges.Where(range => range.End > range.Start).OrderBy(range => range.Start))
        {
            int owner = interpreter.Owners.Skip(start).Take(end - start).FirstOrDefault(o => o != 0);
            int message = owner != 0 ? owner - 1 : ordinal < assistantMessages.Count ? assistantMessages[ordinal] : -1;
            spans.Add(new ChatSpan(start, end - start, message));
            ordinal++;
        }

        return spans;
    }

    private static List<ChatSpan> TracedSpans(string text, IReadOnlyList<int> owners, string eos)
    {
        var spans = new List<ChatSpan>();
        int i = 0;
        while (i < owners.Count)
        {
            if (owners[i] == 0)
            {
                i++;
                continue;
            }

            int owner = owners[i];
            int start = i;
            while (i < owners.Count && owners[i] == owner)
            {
                i++;
            }

            // Pieces of one message written with template text between them (Qwen3's reasoning, then
            // "\n</think>\n\n", then the answer) are one span: all of it is the assistant's turn.
            if (spans.Count > 0 && spans[^1].MessageIndex == owner - 1)
            {
                spans[^1] = spans[^1] with { Length = i - spans[^1].Start };
            }
            else
            {
                spans.Add(new ChatSpan(start, i - start, owner - 1));
            }
        }

        // The end-of-turn marker right after a message's last span is what the model must learn to emit.
        for (int s = 0; s < spans.Count; s++)
        {
            ChatSpan span = spans[s];
            if (s + 1 < spans.Count && spans[s + 1].MessageIndex == span.MessageIndex)
            {
                continue;
            }

            int after = span.End;
            int limit = s + 1 < spans.Count ? spans[s + 1].Start : text.Length;
            int cursor = after;
            while (cursor < limit && text[cursor] == ' ')
            {
                cursor++;
            }

            string? marker = new[] { eos }.Concat(EndOfTurnMarkers)
                .FirstOrDefault(m => m.Length > 0 && cursor + m.Length <= limit && string.CompareOrdinal(text, cursor, m, 0, m.Length) == 0);
            if (marker is not null)
            {
                spans[s] = span with { Length = cursor + marker.Length - span.Start };
            }
        }

        return spans;
    }

    private static bool ContainsGeneration(IEnumerable<JinjaNode> nodes) => nodes.Any(node => node switch
    {
        GenerationNode => true,
        IfNode branch => branch.Branches.Any(b => ContainsGeneration(b.Body)) || (branch.Else is not null && ContainsGeneration(branch.Else)),
        ForNode loop => ContainsGeneration(loop.Body) || (loop.Else is not null && ContainsGeneration(loop.Else)),
        MacroNode macro => ContainsGeneration(macro.Body),
        SetNode { Body: not null } set => ContainsGeneration(set.Body),
        _ => false,
    });

    private static List<object?> Range(List<object?> arguments)
    {
        long[] values = [.. arguments.Select(a => a is long l ? l : throw new FormatException("range() takes integers."))];
        (long start, long stop, long step) = values.Length switch
        {
            1 => (0L, values[0], 1L),
            2 => (values[0], values[1], 1L),
            3 => (values[0], values[1], values[2]),
            _ => throw new FormatException("range() takes one to three integers."),
        };
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            result.Add(i);
        }

        return result;
    }

    /// <summary>Python's <c>strftime</c> for the directives chat templates use.</summary>
    private static string Strftime(DateTimeOffset now, string format)
    {
        var output = new System.Text.StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                output.Append(format[i]);
                continue;
            }

            char directive = format[++i];
            output.Append(directive switch
            {
                'Y' => now.ToString("yyyy", CultureInfo.InvariantCulture),
                'y' => now.ToString("yy", CultureInfo.InvariantCulture),
                'm' => now.ToString("MM", CultureInfo.InvariantCulture),
                'd' => now.ToString("dd", CultureInfo.InvariantCulture),
                'B' => now.ToString("MMMM", CultureInfo.InvariantCulture),
                'b' => now.ToString("MMM", CultureInfo.InvariantCulture),
                'A' => now.ToString("dddd", CultureInfo.InvariantCulture),
                'a' => now.ToString("ddd", CultureInfo.InvariantCulture),
                'H' => now.ToString("HH", CultureInfo.InvariantCulture),
                'M' => now.ToString("mm", CultureInfo.InvariantCulture),
                'S' => now.ToString("ss", CultureInfo.InvariantCulture),
                'j' => now.DayOfYear.ToString("000", CultureInfo.InvariantCulture),
                '%' => "%",
                _ => throw new ChatTemplateException($"strftime_now('%{directive}')", "uses a directive this library does not implement", null, 0),
            });
        }

        return output.ToString();
    }

    private Exception Error(string construct, string problem, int line) => new ChatTemplateException(construct, problem, SourceFile, line);
}
