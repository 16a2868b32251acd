using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class MistralInstructChatTemplateTests
{
    private static readonly ConversationMessage[] Turns =
    [
        ConversationMessage.User("Q1"),
        ConversationMessage.Assistant("A1"),
        ConversationMessage.User("Q2"),
        ConversationMessage.Assistant("A2"),
    ];

    [Fact]
    public void V1_prepends_the_system_message_to_the_first_user_message()
    {
        ConversationMessage[] messages = [ConversationMessage.System("Sys"), .. Turns];

        RenderedChat rendered = new MistralInstructChatTemplate().Render(messages);

        Assert.Equal("<s> [INST] Sys\n\nQ1 [/INST] A1</s> [INST] Q2 [/INST] A2</s>", rendered.Text);
        Assert.Equal(["A1</s>", "A2</s>"], ChatFixtures.SpanTexts(rendered));
        Assert.Equal([2, 4], rendered.AssistantSpans.Select(s => s.MessageIndex));
    }

    [Fact]
    public void V1_without_system_and_generation_prompt_has_no_effect()
    {
        var plain = new ChatRenderOptions();
        var prompt = new ChatRenderOptions { AddGenerationPrompt = true };
        var template = new MistralInstructChatTemplate(MistralInstructVariant.V1);

        string text = template.Render([ConversationMessage.User("Q")], plain).Text;

        Assert.Equal("<s> [INST] Q [/INST]", text);
        Assert.Equal(text, template.Render([ConversationMessage.User("Q")], prompt).Text);
    }

    [Fact]
    public void Legacy_v01_writes_a_space_after_each_eos()
    {
        RenderedChat rendered = new MistralInstructChatTemplate(MistralInstructVariant.LegacyV01).Render(Turns);

        Assert.Equal("<s>[INST] Q1 [/INST]A1</s> [INST] Q2 [/INST]A2</s> ", rendered.Text);
        Assert.Equal(["A1</s>", "A2</s>"], ChatFixtures.SpanTexts(rendered));
    }

    [Fact]
    public void Legacy_v02_writes_no_space_after_eos()
    {
        RenderedChat rendered = new MistralInstructChatTemplate(MistralInstructVariant.LegacyV02).Render(Turns);

        Assert.Equal("<s>[INST] Q1 [/INST]A1</s>[INST] Q2 [/INST]A2</s>", rendered.Text);
    }

    [Theory]
    [InlineData(MistralInstructVariant.LegacyV01)]
    [InlineData(MistralInstructVariant.LegacyV02)]
    public void Legacy_variants_reject_a_system_message(MistralInstructVariant variant)
    {
        ConversationMessage[] messages = [ConversationMessage.System("Sys"), .. Turns];

        FormatException error = Assert.Throws<FormatException>(
            () => new MistralInstructChatTemplate(variant).Render(messages));

        Assert.Contains("message 0", error.Message);
    }

    [Fact]
    public void Rejects_roles_that_do_not_alternate_naming_the_message()
    {
        ConversationMessage[] messages =
        [
            ConversationMessage.System("Sys"),
            ConversationMessage.User("Q1"),
            ConversationMessage.Assistant("A1"),
            ConversationMessage.Assistant("A2"),
        ];

        FormatException error = Assert.Throws<FormatException>(() => new MistralInstructChatTemplate().Render(messages));

        Assert.Contains("message 3", error.Message);
    }

    [Fact]
    public void Rejects_an_unknown_variant()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MistralInstructChatTemplate((MistralInstructVariant)42));
    }
}
