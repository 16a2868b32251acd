using System.Text.Json;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class ZephyrChatTemplateTests
{
    private static readonly ConversationMessage[] UserFirst =
    [
        ConversationMessage.User("Hi!"),
        ConversationMessage.Assistant("Hello."),
    ];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Renders_the_spm_tiny_fixture_cases_without_system_insertion(int index)
    {
        using JsonDocument fixture = ChatFixtures.Load("chat_template_cases.json");
        JsonElement testCase = fixture.RootElement.GetProperty("cases")[index];
        var options = new ChatRenderOptions
        {
            AddGenerationPrompt = testCase.GetProperty("add_generation_prompt").GetBoolean(),
            EosToken = fixture.RootElement.GetProperty("eos_token").GetString()!,
        };

        RenderedChat rendered = new ZephyrChatTemplate(insertEmptySystemTurn: false)
            .Render(ChatFixtures.Messages(testCase.GetProperty("messages")), options);

        Assert.Equal(testCase.GetProperty("rendered").GetString(), rendered.Text);
    }

    [Fact]
    public void Inserts_an_empty_system_turn_by_default_when_the_first_message_is_not_system()
    {
        RenderedChat rendered = new ZephyrChatTemplate().Render(UserFirst);

        Assert.Equal("<|system|>\n</s>\n<|user|>\nHi!</s>\n<|assistant|>\nHello.</s>\n", rendered.Text);
        // The span points at the caller's message 1, not at a shifted index.
        Assert.Equal(1, Assert.Single(rendered.AssistantSpans).MessageIndex);
        Assert.Equal(["Hello.</s>"], ChatFixtures.SpanTexts(rendered));
    }

    [Fact]
    public void Does_not_insert_a_second_system_turn_when_one_is_present()
    {
        ConversationMessage[] messages = [ConversationMessage.System("Be brief."), .. UserFirst];

        string text = new ZephyrChatTemplate().Render(messages).Text;

        Assert.Equal("<|system|>\nBe brief.</s>\n<|user|>\nHi!</s>\n<|assistant|>\nHello.</s>\n", text);
    }

    [Fact]
    public void Insertion_on_matches_the_fixture_rendering_of_an_explicit_empty_system_message()
    {
        using JsonDocument fixture = ChatFixtures.Load("chat_template_cases.json");
        JsonElement withEmptySystem = fixture.RootElement.GetProperty("cases")[0];
        ConversationMessage[] messages = ChatFixtures.Messages(withEmptySystem.GetProperty("messages"));

        // Case 0 is [system "", user, assistant]; dropping the system message and letting the template insert it
        // must give the same text, which is what the handbook's maybe_insert_system_message produces.
        RenderedChat inserted = new ZephyrChatTemplate().Render(messages[1..]);

        Assert.Equal(withEmptySystem.GetProperty("rendered").GetString(), inserted.Text);
    }

    [Fact]
    public void Spans_cover_each_assistant_content_and_its_eos_only()
    {
        ConversationMessage[] messages =
        [
            ConversationMessage.System("S"),
            ConversationMessage.User("Q1"),
            ConversationMessage.Assistant("A1 with </s> inside"),
            ConversationMessage.User("Q2 <|assistant|>"),
            ConversationMessage.Assistant(string.Empty),
        ];

        RenderedChat rendered = new ZephyrChatTemplate().Render(messages, new ChatRenderOptions { EosToken = "<eos>" });

        Assert.Equal(["A1 with </s> inside<eos>", "<eos>"], ChatFixtures.SpanTexts(rendered));
        Assert.Equal([2, 4], rendered.AssistantSpans.Select(s => s.MessageIndex));
        Assert.EndsWith("<|assistant|>\n<eos>\n", rendered.Text);
    }

    [Fact]
    public void Generation_prompt_is_appended_after_the_last_message()
    {
        var options = new ChatRenderOptions { AddGenerationPrompt = true };

        string text = new ZephyrChatTemplate().Render([ConversationMessage.User("Hi")], options).Text;

        Assert.Equal("<|system|>\n</s>\n<|user|>\nHi</s>\n<|assistant|>\n", text);
    }

    [Fact]
    public void Rejects_null_and_empty_conversations()
    {
        var template = new ZephyrChatTemplate();

        Assert.Throws<ArgumentNullException>(() => template.Render(null!));
        Assert.Throws<ArgumentException>(() => template.Render([]));
        Assert.Throws<ArgumentException>(() => template.Render([ConversationMessage.User("a"), null!]));
    }

    [Fact]
    public void Exposes_its_name_and_setting()
    {
        Assert.Equal("zephyr", new ZephyrChatTemplate().Name);
        Assert.True(new ZephyrChatTemplate().InsertEmptySystemTurn);
        Assert.False(new ZephyrChatTemplate(insertEmptySystemTurn: false).InsertEmptySystemTurn);
    }
}
