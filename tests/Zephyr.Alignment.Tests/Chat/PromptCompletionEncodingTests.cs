using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class PromptCompletionEncodingTests
{
    [Fact]
    public void A_token_straddling_the_prompts_end_belongs_to_the_completion_and_bos_stays_with_the_prompt()
    {
        var tokenizer = new CharTokenizer(pieces: ["ab"]);

        PromptCompletionIds ids = tokenizer.EncodeInContext("xa", "bc");

        Assert.Equal([1, 1000 + 'x'], ids.Prompt);
        Assert.Equal([tokenizer.Encode("ab", addSpecialTokens: false).Ids[0], 1000 + 'c'], ids.Completion);
    }

    [Fact]
    public void A_written_bos_is_not_doubled_and_an_inserted_eos_goes_with_the_completion()
    {
        var tokenizer = new CharTokenizer(addEos: true);

        PromptCompletionIds written = tokenizer.EncodeInContext("<s>Q", "A");
        PromptCompletionIds inserted = tokenizer.EncodeInContext("Q", "A");

        Assert.Equal([1, 1000 + 'Q'], written.Prompt);
        Assert.Equal([1, 1000 + 'Q'], inserted.Prompt);
        Assert.Equal([1000 + 'A', 2], inserted.Completion);
    }

    [Fact]
    public void The_chat_form_splits_after_the_generation_prompt_and_rejoins_to_EncodeChat()
    {
        var tokenizer = new CharTokenizer();
        IChatTemplate zephyr = ChatTemplates.Default.Get("zephyr");
        ConversationMessage[] prompt = [ConversationMessage.User("Hi")];

        PromptCompletionIds ids = tokenizer.EncodeChatInContext(zephyr, prompt, "Hello");

        Assert.Equal(tokenizer.EncodeChat(zephyr, prompt, addGenerationPrompt: true).InputIds, ids.Prompt);
        Assert.Equal(tokenizer.EncodeChat(zephyr, [.. prompt, ConversationMessage.Assistant("Hello")]).InputIds, [.. ids.Prompt, .. ids.Completion]);
    }
}
