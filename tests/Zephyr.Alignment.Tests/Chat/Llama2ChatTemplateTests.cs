using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class Llama2ChatTemplateTests
{
    private static readonly ConversationMessage[] Conversation =
    [
        ConversationMessage.System("Be kind."),
        ConversationMessage.User(" Hello "),
        ConversationMessage.Assistant(" Hi there\n"),
        ConversationMessage.User("Again"),
        ConversationMessage.Assistant("Sure"),
    ];

    [Fact]
    public void Folds_the_system_message_into_the_first_turn_and_strips_turns()
    {
        RenderedChat rendered = new Llama2ChatTemplate().Render(Conversation);

        // The first turn is stripped as a whole, so the user's leading space after <</SYS>> survives, as in Jinja.
        Assert.Equal(
            "<s>[INST] <<SYS>>\nBe kind.\n<</SYS>>\n\n Hello [/INST] Hi there </s><s>[INST] Again [/INST] Sure </s>",
            rendered.Text);
        Assert.Equal(["Hi there </s>", "Sure </s>"], ChatFixtures.SpanTexts(rendered));
        Assert.Equal([2, 4], rendered.AssistantSpans.Select(s => s.MessageIndex));
    }

    [Fact]
    public void Without_system_and_with_generation_prompt_ends_in_inst()
    {
        var options = new ChatRenderOptions { AddGenerationPrompt = true, BosToken = "<B>", EosToken = "<E>" };

        string text = new Llama2ChatTemplate().Render([ConversationMessage.User(" Q ")], options).Text;

        Assert.Equal("<B>[INST] Q [/INST]", text);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Rejects_roles_that_do_not_alternate_naming_the_message(int badIndex)
    {
        ConversationMessage[] messages =
        [
            ConversationMessage.User("a"),
            ConversationMessage.Assistant("b"),
            ConversationMessage.User("c"),
        ];
        messages[badIndex] = badIndex == 1 ? ConversationMessage.User("x") : ConversationMessage.System("x");

        FormatException error = Assert.Throws<FormatException>(() => new Llama2ChatTemplate().Render(messages));

        Assert.Contains($"message {badIndex}", error.Message);
    }

    [Fact]
    public void Rejects_an_assistant_first_conversation()
    {
        FormatException error = Assert.Throws<FormatException>(
            () => new Llama2ChatTemplate().Render([ConversationMessage.Assistant("a")]));

        Assert.Contains("message 0", error.Message);
    }
}
