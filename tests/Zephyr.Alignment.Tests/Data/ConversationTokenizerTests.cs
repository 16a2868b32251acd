using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Tests.Chat;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Data;

public sealed class ConversationTokenizerTests
{
    private static readonly IChatTemplate Zephyr = ChatTemplates.Default.Get("zephyr");

    private static readonly ConversationExample Chat = new()
    {
        Messages = [ConversationMessage.User("Hi"), ConversationMessage.Assistant("Hello"), ConversationMessage.User("Bye"), ConversationMessage.Assistant("Ciao")],
        Source = "chat.jsonl: line 1",
    };

    [Fact]
    public void Conversations_are_encoded_by_encode_chat_with_the_assistant_mask()
    {
        var tokenizer = new CharTokenizer();
        var sft = new ConversationTokenizer(tokenizer, Zephyr);

        TokenizedConversation tokens = sft.Tokenize(Chat)!;

        TokenizedChat expected = tokenizer.EncodeChat(Zephyr, Chat.Messages!);
        Assert.Equal(expected.InputIds, tokens.InputIds);
        Assert.Equal(expected.AssistantMask, tokens.CompletionMask);
        string masked = new(tokens.InputIds.Where((_, i) => tokens.CompletionMask[i]).Select(id => id == 2 ? '|' : (char)(id - 1000)).ToArray());
        Assert.Equal("Hello|Ciao|", masked);
        Assert.Equal("chat.jsonl: line 1", tokens.Source);
    }

    [Fact]
    public void Plain_pairs_mask_the_completion_and_its_eos_only()
    {
        var sft = new ConversationTokenizer(new CharTokenizer(), Zephyr);

        TokenizedConversation tokens = sft.Tokenize(new ConversationExample { PromptText = "2+2=", CompletionText = "4" })!;

        Assert.Equal([1, 1000 + '2', 1000 + '+', 1000 + '2', 1000 + '=', 1000 + '4', 2], tokens.InputIds);
        Assert.Equal([false, false, false, false, false, true, true], tokens.CompletionMask);
    }

    [Fact]
    public void Plain_pairs_are_tokenized_in_context_as_one_text_with_one_bos()
    {
        ITokenizer llama = HuggingFaceTokenizer.FromFolder(TestPaths.Fixture("tiny-llama-tokenizer"));
        var sft = new ConversationTokenizer(llama, Zephyr);
        (string Prompt, string Completion)[] pairs =
            [("Question: what is 2+2?\nAnswer:", " The answer is 4."), ("Say hi:", "Hi"), ("<s>Already has bos.", " Yes.")];

        foreach ((string prompt, string completion) in pairs)
        {
            TokenizedConversation tokens = sft.Tokenize(new ConversationExample { PromptText = prompt, CompletionText = completion })!;

            // The ids of the whole text (bos added once, unless written), then eos; the mask from where the prompt ends.
            int[] whole = [.. llama.EncodePrompt(prompt + completion).Ids, llama.EosToken!.Id];
            Assert.Equal(whole, tokens.InputIds);
            Assert.Single(tokens.InputIds, id => id == llama.BosToken!.Id);
            int split = tokens.CompletionMask.ToList().IndexOf(true);
            Assert.Equal(llama.EncodeInContext(prompt, completion).Prompt.Length, split);
            Assert.All(tokens.CompletionMask[split..], Assert.True);
        }
    }

    [Fact]
    public void Long_examples_keep_their_start_and_are_counted_as_truncated()
    {
        var sft = new ConversationTokenizer(new CharTokenizer(), Zephyr, new ConversationTokenizerOptions { MaxLength = 45 });

        TokenizedConversation tokens = sft.Tokenize(Chat)!;

        TokenizedChat full = new CharTokenizer().EncodeChat(Zephyr, Chat.Messages!);
        Assert.Equal(full.InputIds.Take(45), tokens.InputIds);
        Assert.Equal(full.AssistantMask.Take(45), tokens.CompletionMask);
        Assert.Equal(1, sft.Report.Truncated);
        Assert.Equal(1, sft.Report.Kept);
    }

    [Fact]
    public void Examples_are_dropped_and_counted_when_too_long_in_drop_mode_or_left_without_completion_tokens()
    {
        var dropping = new ConversationTokenizer(new CharTokenizer(), Zephyr, new ConversationTokenizerOptions { MaxLength = 40, Overlong = OverlongExampleHandling.Drop });
        var truncating = new ConversationTokenizer(new CharTokenizer(), Zephyr, new ConversationTokenizerOptions { MaxLength = 10 });

        Assert.Null(dropping.Tokenize(Chat));
        Assert.Null(truncating.Tokenize(Chat));

        int length = new CharTokenizer().EncodeChat(Zephyr, Chat.Messages!).InputIds.Count;
        Assert.Equal($"chat.jsonl: line 1: {length} tokens exceed MaxLength 40", Assert.Single(dropping.Report.Dropped.FirstReasons));
        Assert.Equal("chat.jsonl: line 1: no completion token is left within MaxLength 10", Assert.Single(truncating.Report.Dropped.FirstReasons));
        Assert.Equal(0, dropping.Report.Kept + truncating.Report.Kept);
    }

    [Fact]
    public async Task The_sft_fixture_tokenizes_with_the_checkpoint_tokenizer()
    {
        ITokenizer llama = HuggingFaceTokenizer.FromFolder(TestPaths.Fixture("tiny-llama-tokenizer"));
        var sft = new ConversationTokenizer(llama, Zephyr, new ConversationTokenizerOptions { MaxLength = 512 });

        List<TokenizedConversation> examples = await DataFixtures.ToListAsync(sft.TokenizeAsync(new ConversationDataset(DataFixtures.PathOf("sft.parquet"))));

        Assert.Equal(200, sft.Report.Kept + sft.Report.Dropped.Count);
        Assert.True(sft.Report.Truncated >= 1, sft.Report.ToString());
        Assert.All(examples, e =>
        {
            Assert.True(e.InputIds.Length <= 512);
            Assert.Equal(llama.BosToken!.Id, e.InputIds[0]);
            Assert.Contains(true, e.CompletionMask);
            Assert.False(e.CompletionMask[0]);
        });
    }

    [Fact]
    public void Options_are_validated()
    {
        ArgumentOutOfRangeException error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ConversationTokenizer(new CharTokenizer(), Zephyr, new ConversationTokenizerOptions { MaxLength = 0 }));
        Assert.Equal("MaxLength", error.ParamName);
        Assert.Equal(2048, new ConversationTokenizerOptions().MaxLength);
        Assert.Throws<ArgumentException>(() => new ConversationTokenizer(new CharTokenizer(eos: null), Zephyr));
    }
}
