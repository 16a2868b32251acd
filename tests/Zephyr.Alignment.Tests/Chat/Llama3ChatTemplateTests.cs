using System.Text.Json;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class Llama3ChatTemplateTests
{
    private static readonly ChatRenderOptions Llama3Tokens = new() { BosToken = "<|begin_of_text|>", EosToken = "<|eot_id|>" };

    [Theory]
    [InlineData(false, "rendered")]
    [InlineData(true, "rendered_generation_prompt")]
    public void Reproduces_the_bpe_tiny_chat_example(bool addGenerationPrompt, string expectedKey)
    {
        using JsonDocument fixture = ChatFixtures.Load("bpe-tiny_chat_example.json");
        JsonElement chat = fixture.RootElement.GetProperty("chat");
        ConversationMessage[] messages = ChatFixtures.Messages(chat.GetProperty("messages"));
        if (addGenerationPrompt)
        {
            // The fixture renders its generation prompt for the conversation without the assistant answer.
            messages = messages[..^1];
        }

        var options = new ChatRenderOptions { AddGenerationPrompt = addGenerationPrompt, BosToken = Llama3Tokens.BosToken };

        RenderedChat rendered = new Llama3ChatTemplate().Render(messages, options);

        Assert.Equal(chat.GetProperty(expectedKey).GetString(), rendered.Text);
    }

    [Fact]
    public void Trims_content_and_spans_end_with_eot()
    {
        ConversationMessage[] messages =
        [
            ConversationMessage.User("  Q  "),
            ConversationMessage.Assistant("\n A \t"),
            ConversationMessage.User("Q2"),
            ConversationMessage.Assistant("B"),
        ];

        RenderedChat rendered = new Llama3ChatTemplate().Render(messages, Llama3Tokens);

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nA<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nQ2<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nB<|eot_id|>",
            rendered.Text);
        Assert.Equal(["A<|eot_id|>", "B<|eot_id|>"], ChatFixtures.SpanTexts(rendered));
        Assert.Equal([1, 3], rendered.AssistantSpans.Select(s => s.MessageIndex));
    }

    [Fact]
    public void Trim_follows_python_whitespace_including_information_separators()
    {
        RenderedChat rendered = new Llama3ChatTemplate().Render(
            [ConversationMessage.User("x"), ConversationMessage.Assistant("\u001Fy\u00A0")],
            Llama3Tokens);

        Assert.Equal(["y<|eot_id|>"], ChatFixtures.SpanTexts(rendered));
    }
}
