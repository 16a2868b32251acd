using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class ChatMlChatTemplateTests
{
    [Fact]
    public void Renders_im_start_and_im_end_turns_with_spans_ending_in_im_end()
    {
        ConversationMessage[] messages =
        [
            ConversationMessage.System("Sys"),
            ConversationMessage.User("Hello"),
            ConversationMessage.Assistant("Hi there"),
        ];

        RenderedChat rendered = new ChatMlChatTemplate().Render(messages);

        Assert.Equal(
            "<|im_start|>system\nSys<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n",
            rendered.Text);
        Assert.Equal(["Hi there<|im_end|>"], ChatFixtures.SpanTexts(rendered));
        Assert.Equal(2, rendered.AssistantSpans[0].MessageIndex);
    }

    [Fact]
    public void Generation_prompt_and_no_bos_or_eos()
    {
        var options = new ChatRenderOptions { AddGenerationPrompt = true, BosToken = "<BOS>", EosToken = "<EOS>" };

        RenderedChat rendered = new ChatMlChatTemplate().Render([ConversationMessage.User("Q")], options);

        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n", rendered.Text);
        Assert.Empty(rendered.AssistantSpans);
    }

    [Fact]
    public void Keeps_content_whitespace()
    {
        RenderedChat rendered = new ChatMlChatTemplate().Render(
            [ConversationMessage.User(" q "), ConversationMessage.Assistant("  a  ")]);

        Assert.Equal(["  a  <|im_end|>"], ChatFixtures.SpanTexts(rendered));
    }
}
