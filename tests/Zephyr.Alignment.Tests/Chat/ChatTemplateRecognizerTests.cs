using System.Text.Json;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class ChatTemplateRecognizerTests
{
    public static TheoryData<string> ReferenceCaseIds()
    {
        using JsonDocument fixture = ChatFixtures.Load("reference_renderings.json");
        var ids = new TheoryData<string>();
        foreach (JsonElement testCase in fixture.RootElement.GetProperty("cases").EnumerateArray())
        {
            ids.Add(testCase.GetProperty("id").GetString()!);
        }

        return ids;
    }

    [Theory]
    [MemberData(nameof(ReferenceCaseIds))]
    public void Recognises_reference_templates_and_renders_what_their_reference_renderer_did(string id)
    {
        using JsonDocument fixture = ChatFixtures.Load("reference_renderings.json");
        JsonElement testCase = fixture.RootElement.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("id").GetString() == id);

        Assert.True(ChatTemplateRecognizer.TryRecognize(testCase.GetProperty("chat_template").GetString()!, out var entry));
        Assert.Equal(id, entry.Id);
        var options = new ChatRenderOptions
        {
            AddGenerationPrompt = testCase.GetProperty("add_generation_prompt").GetBoolean(),
            BosToken = testCase.GetProperty("bos_token").GetString()!,
            EosToken = testCase.GetProperty("eos_token").GetString()!,
        };
        RenderedChat rendered = entry.Template.Render(ChatFixtures.Messages(testCase.GetProperty("messages")), options);

        Assert.Equal(testCase.GetProperty("expected").GetString(), rendered.Text);
    }

    [Fact]
    public void Recognises_the_handbook_template_of_tiny_llama_as_zephyr_without_insertion()
    {
        IChatTemplate template = ChatTemplateRecognizer.FromTokenizerConfig(ChatFixtures.PathOf("tiny-llama_tokenizer_config.json"));

        ZephyrChatTemplate zephyr = Assert.IsType<ZephyrChatTemplate>(template);
        Assert.False(zephyr.InsertEmptySystemTurn);
    }

    [Fact]
    public void Recognised_zephyr_renders_every_spm_tiny_fixture_case()
    {
        IChatTemplate template = ChatTemplateRecognizer.FromTokenizerConfig(ChatFixtures.PathOf("tiny-llama_tokenizer_config.json"));
        using JsonDocument fixture = ChatFixtures.Load("chat_template_cases.json");

        foreach (JsonElement testCase in fixture.RootElement.GetProperty("cases").EnumerateArray())
        {
            var options = new ChatRenderOptions { AddGenerationPrompt = testCase.GetProperty("add_generation_prompt").GetBoolean() };
            string text = template.Render(ChatFixtures.Messages(testCase.GetProperty("messages")), options).Text;
            Assert.Equal(testCase.GetProperty("rendered").GetString(), text);
        }
    }

    [Fact]
    public void Recognises_the_llama3_template_of_bpe_tiny()
    {
        IChatTemplate template = ChatTemplateRecognizer.FromTokenizerConfig(ChatFixtures.PathOf("bpe-tiny_tokenizer_config.json"));

        Assert.IsType<Llama3ChatTemplate>(template);
    }

    [Theory]
    [InlineData("tiny-llama_tokenizer_config.json", "alignment-handbook-zephyr")]
    [InlineData("bpe-tiny_tokenizer_config.json", "llama-3-instruct")]
    public void Catalogue_sources_equal_the_fixture_files_verbatim(string file, string id)
    {
        string? source = ChatTemplateRecognizer.ReadChatTemplate(ChatFixtures.PathOf(file));

        Assert.Equal(source, ChatTemplateRecognizer.Catalog.Single(e => e.Id == id).JinjaSource);
    }

    [Fact]
    public void Every_catalogue_entry_recognises_its_own_source_and_only_its_own()
    {
        Assert.Equal(
            ChatTemplateRecognizer.Catalog.Count,
            ChatTemplateRecognizer.Catalog.Select(e => e.CanonicalSource).Distinct(StringComparer.Ordinal).Count());
        foreach (ChatTemplateCatalogEntry entry in ChatTemplateRecognizer.Catalog)
        {
            Assert.True(ChatTemplateRecognizer.TryRecognize(entry.JinjaSource, out var found));
            Assert.Same(entry, found);
            Assert.False(string.IsNullOrWhiteSpace(entry.Description));
        }
    }

    [Fact]
    public void Reformatted_sources_are_still_recognised()
    {
        string source = ChatTemplateRecognizer.Catalog.Single(e => e.Id == "llama-2-chat").JinjaSource;
        string reformatted = source
            .Replace("{% ", "{%   ", StringComparison.Ordinal)
            .Replace("'<<SYS>>\\n'", "\"<<SYS>>\\n\"", StringComparison.Ordinal)
            .Replace(" == ", "==", StringComparison.Ordinal)
            + "{# a comment #}";

        Assert.True(ChatTemplateRecognizer.TryRecognize(reformatted, out var entry));
        Assert.Equal("llama-2-chat", entry.Id);
    }

    [Theory]
    [InlineData("{{ '<|im_start|>assistant' }}")]
    [InlineData("")]
    [InlineData("{% for message in messages %}")]
    public void Unknown_or_broken_templates_are_not_recognised(string source)
    {
        Assert.False(ChatTemplateRecognizer.TryRecognize(source, out _));
    }

    [Fact]
    public void A_template_that_differs_only_in_output_text_is_not_recognised()
    {
        // Same code as the handbook template, but without the newline it writes after each turn.
        string handbook = ChatTemplateRecognizer.Catalog.Single(e => e.Id == "alignment-handbook-zephyr").JinjaSource;
        string changed = handbook.Replace("eos_token }}\n", "eos_token }}", StringComparison.Ordinal);

        Assert.NotEqual(handbook, changed);
        Assert.False(ChatTemplateRecognizer.TryRecognize(changed, out _));
    }

    [Fact]
    public void A_template_outside_the_catalogue_is_rendered_by_the_jinja_interpreter()
    {
        string path = WriteConfig("""{ "chat_template": "{{ messages[0]['content'] }}" }""");
        try
        {
            JinjaChatTemplate template = Assert.IsType<JinjaChatTemplate>(ChatTemplateRecognizer.FromTokenizerConfig(path));

            Assert.Equal(path, template.SourceFile);
            Assert.Equal("Hi", template.Render([ConversationMessage.User("Hi")]).Text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_template_outside_the_jinja_subset_is_an_error_naming_the_construct_and_the_file()
    {
        string path = WriteConfig("""{ "chat_template": "{% for m in messages %}{{ m.content | wordwrap(5) }}{% endfor %}" }""");
        try
        {
            IChatTemplate template = ChatTemplateRecognizer.FromTokenizerConfig(path);
            var error = Assert.Throws<ChatTemplateException>(() => template.Render([ConversationMessage.User("Hi")]));

            Assert.Equal(path, error.SourceFile);
            Assert.Equal("filter 'wordwrap'", error.Construct);
            Assert.Contains(path, error.Message);
            Assert.Contains("wordwrap", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_list_of_templates_uses_the_one_named_default()
    {
        string llama3 = ChatTemplateRecognizer.Catalog.Single(e => e.Id == "llama-3-instruct").JinjaSource;
        string json = JsonSerializer.Serialize(new
        {
            chat_template = new object[]
            {
                new { name = "tool_use", template = "{{ 'tools' }}" },
                new { name = "default", template = llama3 },
            },
        });
        string path = WriteConfig(json);
        try
        {
            Assert.IsType<Llama3ChatTemplate>(ChatTemplateRecognizer.FromTokenizerConfig(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_list_without_default_and_a_missing_template_are_reported()
    {
        string noDefault = WriteConfig("""{ "chat_template": [ { "name": "rag", "template": "x" } ] }""");
        string missing = WriteConfig("""{ "bos_token": "<s>" }""");
        try
        {
            var listError = Assert.Throws<ChatTemplateNotRecognizedException>(() => ChatTemplateRecognizer.FromTokenizerConfig(noDefault));
            Assert.Contains("rag", listError.Message);
            Assert.Null(ChatTemplateRecognizer.ReadChatTemplate(missing));
            var missingError = Assert.Throws<ChatTemplateNotRecognizedException>(() => ChatTemplateRecognizer.FromTokenizerConfig(missing));
            Assert.Contains("no chat_template", missingError.Message);
            Assert.Equal(missing, missingError.SourceFile);
        }
        finally
        {
            File.Delete(noDefault);
            File.Delete(missing);
        }
    }

    [Fact]
    public void A_folder_is_resolved_to_its_tokenizer_config()
    {
        string folder = Directory.CreateTempSubdirectory("zephyr-chat-").FullName;
        try
        {
            File.Copy(ChatFixtures.PathOf("bpe-tiny_tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"));

            Assert.IsType<Llama3ChatTemplate>(ChatTemplateRecognizer.FromTokenizerConfig(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void From_tokenizer_uses_its_chat_template()
    {
        var error = Assert.Throws<ChatTemplateNotRecognizedException>(
            () => ChatTemplateRecognizer.FromTokenizer(new CharTokenizer(), "ckpt/tokenizer_config.json"));

        Assert.Contains("ckpt/tokenizer_config.json", error.Message);
        Assert.Contains("no chat_template", error.Message);
        string chatMl = ChatTemplateRecognizer.Catalog.Single(e => e.Id == "chatml-openhermes").JinjaSource;
        Assert.IsType<ChatMlChatTemplate>(ChatTemplateRecognizer.FromTokenizer(new CharTokenizer(chatTemplate: chatMl)));
    }

    [Fact]
    public void Bad_json_and_missing_files_name_the_file()
    {
        string bad = WriteConfig("{ not json");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => ChatTemplateRecognizer.ReadChatTemplate(bad));
            Assert.Contains(bad, error.Message);
            Assert.Throws<FileNotFoundException>(() => ChatTemplateRecognizer.ReadChatTemplate(bad + ".missing"));
        }
        finally
        {
            File.Delete(bad);
        }
    }

    private static string WriteConfig(string json)
    {
        string path = Path.Combine(Path.GetTempPath(), $"zephyr-chat-{Guid.NewGuid():N}-tokenizer_config.json");
        File.WriteAllText(path, json);
        return path;
    }
}
