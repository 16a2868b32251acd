using System.Text.Json;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

/// <summary>
/// Real chat templates (Llama-3, Llama-3.1, Qwen3, Gemma-3, Zephyr, ChatML, Llama-2, Mistral) rendered by
/// <see cref="JinjaChatTemplate"/> against transformers.js's apply_chat_template, character for character
/// (Fixtures/chat-templates/PROVENANCE.md).
/// </summary>
public sealed class JinjaChatTemplateReferenceTests
{
    private static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat-templates", file);

    private static Dictionary<string, string> Templates() =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(FixturePath("templates.json")))!;

    public static TheoryData<string> TemplateNames => [.. Templates().Keys];

    [Theory]
    [MemberData(nameof(TemplateNames))]
    public void Renders_every_conversation_as_transformers_js(string name)
    {
        var template = new JinjaChatTemplate(Templates()[name], sourceFile: name);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(FixturePath("cases.json")));
        var failures = new List<string>();
        int count = 0;
        foreach (JsonElement item in document.RootElement.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("template").GetString() == name))
        {
            count++;
            var options = new ChatRenderOptions
            {
                AddGenerationPrompt = item.GetProperty("add_generation_prompt").GetBoolean(),
                BosToken = item.GetProperty("bos_token").GetString() ?? string.Empty,
                EosToken = item.GetProperty("eos_token").GetString() ?? string.Empty,
                Tools = item.TryGetProperty("tools", out JsonElement tools) ? [.. tools.EnumerateArray()] : null,
            };
            foreach (JsonProperty kwarg in item.GetProperty("kwargs").EnumerateObject())
            {
                options.Variables[kwarg.Name] = kwarg.Value.Clone();
            }

            string label = $"{item.GetProperty("conversation").GetString()} (generation prompt {options.AddGenerationPrompt})";
            if (item.TryGetProperty("error", out JsonElement error))
            {
                var thrown = Record.Exception(() => template.Render(item.GetProperty("messages"), options));
                if (thrown is not FormatException || !thrown.Message.Contains(error.GetString()!, StringComparison.Ordinal))
                {
                    failures.Add($"{label}: expected FormatException '{error.GetString()}', got {thrown?.GetType().Name}: {thrown?.Message}");
                }

                continue;
            }

            string expected = item.GetProperty("expected").GetString()!;
            if (name == "qwen3" && item.GetProperty("conversation").GetString() == "odd-whitespace")
            {
                // @huggingface/jinja's lstrip('\n') also strips spaces; Python's (transformers) keeps them.
                expected = expected.Replace("</think>\n\nanswer with", "</think>\n\n answer with", StringComparison.Ordinal);
            }

            string actual;
            try
            {
                actual = template.Render(item.GetProperty("messages"), options).Text;
            }
            catch (Exception exception) when (exception is FormatException or NotSupportedException)
            {
                failures.Add($"{label}: {exception.Message}");
                continue;
            }

            if (actual != expected)
            {
                failures.Add($"{label}:\nexpected {JsonSerializer.Serialize(expected)}\nactual   {JsonSerializer.Serialize(actual)}");
            }
        }

        Assert.True(count >= 12, $"only {count} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(TemplateNames))]
    public void Assistant_spans_cover_each_answer_and_its_end_of_turn(string name)
    {
        var template = new JinjaChatTemplate(Templates()[name], sourceFile: name);
        ConversationMessage[] messages =
        [
            ConversationMessage.User("Hi!"),
            ConversationMessage.Assistant("Hello there."),
            ConversationMessage.User("Bye."),
            ConversationMessage.Assistant("Goodbye."),
        ];
        bool qwen = name == "qwen3";
        var options = new ChatRenderOptions { BosToken = "<s>", EosToken = name is "llama-3" or "llama-3.1" ? "<|eot_id|>" : qwen ? "<|im_end|>" : "</s>" };
        RenderedChat rendered = template.Render(messages, options);
        Assert.Equal([1, 3], rendered.AssistantSpans.Select(span => span.MessageIndex).Distinct());
        string[] answers = [.. rendered.AssistantSpans.Select(span => rendered.Text.Substring(span.Start, span.Length))];
        Assert.Contains(answers, answer => answer.StartsWith("Hello there.", StringComparison.Ordinal));
        Assert.Contains(answers, answer => answer.StartsWith("Goodbye.", StringComparison.Ordinal));
        Assert.All(answers, answer => Assert.DoesNotContain("Bye.", answer, StringComparison.Ordinal));
        Assert.Contains(answers, answer => answer.Length > "Goodbye.".Length);
    }

    [Fact]
    public void Encode_chat_with_gemma3_masks_exactly_the_answers_and_their_end_of_turn()
    {
        // A SentencePiece-style tokenizer.json with its real template: the path SFT takes for a Gemma checkpoint.
        var tokenizer = Zephyr.Alignment.Tokenization.HuggingFaceTokenizer.FromFolder(Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizers", "gemma3"));
        var template = new JinjaChatTemplate(Templates()["gemma-3"], sourceFile: "gemma-3");

        TokenizedChat chat = tokenizer.EncodeChat(template, [ConversationMessage.User("Hello"), ConversationMessage.Assistant("Hello world!")]);

        Assert.False(chat.SpecialTokensAdded); // the template writes <bos> itself
        Assert.Equal(tokenizer.BosToken!.Id, chat.InputIds[0]);
        string masked = tokenizer.Decode(chat.InputIds.Where((_, i) => chat.AssistantMask[i]));
        Assert.Equal("Hello world!<end_of_turn>", masked);
    }

    [Fact]
    public void Qwen3_reasoning_and_answer_are_one_assistant_span()
    {
        var template = new JinjaChatTemplate(Templates()["qwen3"], sourceFile: "qwen3");

        RenderedChat rendered = template.Render(
            [ConversationMessage.User("Think first."), ConversationMessage.Assistant("<think>\nLet me see.\n</think>\n\nThe answer.")],
            new ChatRenderOptions { BosToken = string.Empty, EosToken = "<|im_end|>" });

        ChatSpan span = Assert.Single(rendered.AssistantSpans);
        Assert.Equal("Let me see.\n</think>\n\nThe answer.<|im_end|>", rendered.Text.Substring(span.Start, span.Length));
    }
}
