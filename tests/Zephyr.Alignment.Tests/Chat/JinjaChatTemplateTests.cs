using System.Text.Json;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

/// <summary>The Jinja subset, spans and errors of <see cref="JinjaChatTemplate"/>, with outputs as Python's Jinja2 gives them.</summary>
public sealed class JinjaChatTemplateTests
{
    private static readonly ConversationMessage[] Chat =
    [
        ConversationMessage.System("Be kind."),
        ConversationMessage.User("Hi"),
        ConversationMessage.Assistant("  Hello!  "),
    ];

    // No assistant message here: these templates need not write one (a template that drops assistant content fails, see below).
    private static readonly ConversationMessage[] Prompt = [ConversationMessage.System("Be kind."), ConversationMessage.User("  Hi!  ")];

    private static string Render(string source, IReadOnlyList<ConversationMessage>? messages = null, ChatRenderOptions? options = null) =>
        new JinjaChatTemplate(source).Render(messages ?? Prompt, options).Text;

    [Theory]
    [InlineData("{% for m in messages %}{{ loop.index }}/{{ loop.length }}{{ ',' if not loop.last }}{% endfor %}", "1/2,2/2")]
    [InlineData("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}", "2")]
    [InlineData("{% set n = 0 %}{% for m in messages %}{% set n = n + 1 %}{% endfor %}{{ n }}", "0")]
    [InlineData("{{ messages[-1].content | trim }}|{{ messages[1:] | length }}|{{ messages[::-1][0].role }}", "Hi!|1|user")]
    [InlineData("{{ messages[1]['content'].strip().upper() }}{{ 'a,b,,c'.split(',') | length }}{{ 'x-y'.split('-')[-1] }}", "HI!4y")]
    [InlineData("{{ 'Hello World'.startswith('Hell') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'hello world' | title }} {{ ' a '.lstrip() }}.", "True True Hello World a .")]
    [InlineData("{{ tools is defined }} {{ none is none }} {{ 'x' is string }} {{ messages is iterable }} {{ {'a': 1} is mapping }} {{ 3 is odd }}", "False True True True True True")]
    [InlineData("{{ {'b': [1, 2.5, none, true], 'a': 'é\"'} | tojson }}", "{\"b\": [1, 2.5, null, true], \"a\": \"é\\\"\"}")]
    [InlineData("{{ {'a': [1]} | tojson(indent=2) }}", "{\n  \"a\": [\n    1\n  ]\n}")]
    [InlineData("{{ missing | default('d') }}{{ '' | default('e', true) }}{{ [1, 2, 3] | join('-') }}{{ {'k': 'v'} | items | list | length }}", "de1-2-31")]
    [InlineData("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', punct='?') }}", "Hi Ann! Hi Bo?")]
    [InlineData("{% for i in range(5) %}{% if i == 1 %}{% continue %}{% elif i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}", "02")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 3 }} {{ 7 / 2 }} {{ 'ab' ~ 1 }} {{ 'x' * 3 }} {{ 1 in [1, 2] }} {{ 'b' not in 'abc' }}", "3 1 8 3.5 ab1 xxx True False")]
    [InlineData("{% if messages[0].role == 'system' %}{% set rest = messages[1:] %}{% else %}{% set rest = messages %}{% endif %}{{ rest | length }}", "1")]
    [InlineData("{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join }}", "  Hi!  ")]
    public void Evaluates_the_subset_like_jinja2(string source, string expected) => Assert.Equal(expected, Render(source));

    [Fact]
    public void Whitespace_control_and_transformers_block_settings_apply()
    {
        // trim_blocks drops the newline after a block tag, lstrip_blocks the indentation before it; '-' strips all.
        const string source = "{% for m in messages %}\n    {% if m.role == 'user' %}\n[{{ m.content }}]\n    {% endif %}\n{% endfor %}\n{{- ' end' -}}\n  ";
        Assert.Equal("[  Hi!  ]\n end", Render(source));
    }

    [Fact]
    public void Variables_tools_and_strftime_now_reach_the_template()
    {
        using JsonDocument tool = JsonDocument.Parse("""{"name": "f", "parameters": {"x": 1}}""");
        var options = new ChatRenderOptions { Tools = [tool.RootElement], Now = () => new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero) };
        options.Variables["enable_thinking"] = false;
        options.Variables["unk_token"] = "<unk>";

        string text = Render("{{ tools[0].name }} {{ enable_thinking is false }} {{ unk_token }} {{ strftime_now('%d %b %Y') }} {{ bos_token }}{{ eos_token }}", options: options);

        Assert.Equal("f True <unk> 06 Dec 2026 <s></s>", text);
    }

    [Fact]
    public void Generation_blocks_give_the_assistant_spans_as_transformers_masks_them()
    {
        const string source = "{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}{% generation %}{{ m.content | trim }}</s>{% endgeneration %}{% else %}{{ m.content }}{% endif %}\n{% endfor %}";
        var template = new JinjaChatTemplate(source);

        RenderedChat rendered = template.Render(Chat);

        Assert.True(template.HasGenerationBlocks);
        ChatSpan span = Assert.Single(rendered.AssistantSpans);
        Assert.Equal("Hello!</s>", rendered.Text.Substring(span.Start, span.Length));
        Assert.Equal(2, span.MessageIndex);
    }

    [Fact]
    public void Without_generation_blocks_the_traced_content_and_its_end_of_turn_are_the_span()
    {
        const string source = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\n' + m.content | trim + '<|im_end|>' + '\n' }}{% endfor %}";

        RenderedChat rendered = new JinjaChatTemplate(source).Render(
            [ConversationMessage.User("Say Hello!"), ConversationMessage.Assistant("Hello!")]);

        // The user's "Hello!" is never mistaken for the answer: spans follow where each character came from.
        ChatSpan span = Assert.Single(rendered.AssistantSpans);
        Assert.Equal("Hello!<|im_end|>", rendered.Text.Substring(span.Start, span.Length));
        Assert.Equal(1, span.MessageIndex);
    }

    [Fact]
    public void Untraceable_assistant_content_is_an_error_not_an_empty_mask()
    {
        var template = new JinjaChatTemplate("{% for m in messages %}{{ m.content | replace('!', '.') }}{% endfor %}", sourceFile: "cfg.json");

        var error = Assert.Throws<FormatException>(() => template.Render(Chat));
        Assert.Contains("cfg.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("generation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Raise_exception_is_a_format_exception_with_the_templates_message()
    {
        var error = Assert.Throws<FormatException>(() => Render("{{ raise_exception('Roles must alternate') }}"));
        Assert.Contains("Roles must alternate", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("line one\n{% call foo() %}x{% endcall %}", "tag 'call'", 2)]
    [InlineData("{{ messages | wordcount }}", "filter 'wordcount'", 1)]
    [InlineData("{{ messages is sameish }}", "test 'sameish'", 1)]
    [InlineData("{{ 'x'.zfill(3) }}", "string method 'zfill'", 1)]
    [InlineData("{{ lipsum() }}", "function 'lipsum'", 1)]
    [InlineData("{% if true %}open", "tag 'endif'", 1)]
    [InlineData("{{ 'unclosed }}", "string literal", 1)]
    public void Unsupported_or_broken_constructs_are_errors_naming_the_construct_file_and_line(string source, string construct, int line)
    {
        var error = Assert.ThrowsAny<ChatTemplateException>(() => new JinjaChatTemplate(source, sourceFile: "t.jinja").Render(Chat));

        Assert.Equal(construct, error.Construct);
        Assert.Equal("t.jinja", error.SourceFile);
        Assert.Equal(line, error.Line);
        Assert.Contains("t.jinja", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hand_written_templates_refuse_options_they_cannot_use()
    {
        var options = new ChatRenderOptions();
        options.Variables["enable_thinking"] = false;

        Assert.Throws<NotSupportedException>(() => new ZephyrChatTemplate().Render(Chat, options));
    }
}
