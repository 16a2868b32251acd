using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Integration;

/// <summary>The checkpoint's SentencePiece tokenizer and the Zephyr template together, as SFT uses them.</summary>
public sealed class ZephyrChatEncodingTests
{
    private static readonly ITokenizer Tokenizer = HuggingFaceTokenizer.FromFolder(TestPaths.Fixture("tiny-llama-tokenizer"));

    [Fact]
    public void Eos_written_by_the_template_becomes_its_id_and_only_assistant_answers_are_masked_in()
    {
        ConversationMessage[] messages =
        [
            ConversationMessage.User("Hi!"),
            ConversationMessage.Assistant("Hello, how can I help?"),
            ConversationMessage.User("Thanks"),
            ConversationMessage.Assistant("You are welcome."),
        ];

        TokenizedChat chat = Tokenizer.EncodeChat(ChatTemplates.Default.Get("zephyr"), messages);

        int eos = Tokenizer.EosToken!.Id;
        Assert.Equal(Tokenizer.BosToken!.Id, chat.InputIds[0]);
        // Empty system turn + 4 messages, each closed by </s>.
        Assert.Equal(5, chat.InputIds.Count(id => id == eos));
        string[] answers = Segments(chat).ToArray();
        Assert.Equal(["Hello, how can I help?</s>", "You are welcome.</s>"], answers);
        Assert.Equal(chat.Rendered.Text, Tokenizer.Decode(chat.InputIds, skipSpecialTokens: false).Replace("<s>", string.Empty, StringComparison.Ordinal).TrimStart());
    }

    [Fact]
    public void A_generation_prompt_has_no_assistant_tokens()
    {
        TokenizedChat chat = Tokenizer.EncodeChat(ChatTemplates.Default.Get("zephyr"), [ConversationMessage.User("What is 2+2?")], addGenerationPrompt: true);

        Assert.DoesNotContain(true, chat.AssistantMask);
        Assert.EndsWith("<|assistant|>\n", Tokenizer.Decode(chat.InputIds), StringComparison.Ordinal);
    }

    /// <summary>Decodes each run of consecutive assistant tokens.</summary>
    private static IEnumerable<string> Segments(TokenizedChat chat)
    {
        var run = new List<int>();
        for (int i = 0; i <= chat.InputIds.Count; i++)
        {
            if (i < chat.InputIds.Count && chat.AssistantMask[i])
            {
                run.Add(chat.InputIds[i]);
            }
            else if (run.Count > 0)
            {
                yield return Tokenizer.Decode(run).Trim();
                run.Clear();
            }
        }
    }
}
