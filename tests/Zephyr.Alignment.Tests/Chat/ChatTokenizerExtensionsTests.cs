using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Chat;

public sealed class ChatTokenizerExtensionsTests
{
    private static readonly ConversationMessage[] Conversation =
    [
        ConversationMessage.User("Hi"),
        ConversationMessage.Assistant("Hello."),
        ConversationMessage.User("Bye"),
        ConversationMessage.Assistant("Ciao"),
    ];

    private static string MaskedText(ITokenizer tokenizer, TokenizedChat chat, bool masked) =>
        tokenizer.Decode(chat.InputIds.Where((_, i) => chat.AssistantMask[i] == masked));

    [Fact]
    public void Zephyr_gets_bos_from_the_tokenizer_and_masks_exactly_the_assistant_turns()
    {
        var tokenizer = new CharTokenizer(bos: "<s>", eos: "</s>", addBos: true);

        TokenizedChat chat = tokenizer.EncodeChat(new ZephyrChatTemplate(), Conversation);

        Assert.True(chat.SpecialTokensAdded);
        Assert.Equal(tokenizer.BosToken!.Id, chat.InputIds[0]);
        Assert.Equal(1, chat.InputIds.Count(id => id == tokenizer.BosToken.Id));
        Assert.Equal(chat.InputIds.Count, chat.AssistantMask.Count);
        Assert.Equal("Hello.</s>Ciao</s>", MaskedText(tokenizer, chat, masked: true));
        Assert.Equal("<s>" + chat.Rendered.Text.Replace("Hello.</s>", "").Replace("Ciao</s>", ""), MaskedText(tokenizer, chat, masked: false));
    }

    [Fact]
    public void Llama3_template_writes_bos_so_special_tokens_are_not_added_again()
    {
        var tokenizer = new CharTokenizer(
            bos: "<|begin_of_text|>",
            eos: "<|eot_id|>",
            addBos: true,
            specialTokens: ["<|start_header_id|>", "<|end_header_id|>"]);

        TokenizedChat chat = tokenizer.EncodeChat(new Llama3ChatTemplate(), Conversation);

        Assert.False(chat.SpecialTokensAdded);
        Assert.False(tokenizer.LastAddSpecialTokens);
        Assert.Equal(1, chat.InputIds.Count(id => id == tokenizer.BosToken!.Id));
        Assert.StartsWith("<|begin_of_text|><|start_header_id|>user", chat.Rendered.Text);
        Assert.Equal("Hello.<|eot_id|>Ciao<|eot_id|>", MaskedText(tokenizer, chat, masked: true));
    }

    [Fact]
    public void Generation_prompt_tokens_are_not_assistant_tokens()
    {
        var tokenizer = new CharTokenizer();

        TokenizedChat chat = tokenizer.EncodeChat(new ChatMlChatTemplate(), [ConversationMessage.User("Q")], addGenerationPrompt: true);

        Assert.EndsWith("<|im_start|>assistant\n", chat.Rendered.Text);
        Assert.DoesNotContain(true, chat.AssistantMask);
    }

    [Fact]
    public void A_token_straddling_the_start_of_an_answer_is_an_assistant_token()
    {
        // " Hi" holds the space Llama-2 writes after [/INST] and the answer's first letters, as SentencePiece's "▁Hi" does.
        var tokenizer = new CharTokenizer(pieces: [" Hi", "[/INST]"]);

        TokenizedChat chat = tokenizer.EncodeChat(
            new Llama2ChatTemplate(),
            [ConversationMessage.User("Q"), ConversationMessage.Assistant("Hi there")]);

        Assert.Equal(" Hi there </s>", MaskedText(tokenizer, chat, masked: true));
        Assert.Equal("<s>[INST] Q [/INST]", MaskedText(tokenizer, chat, masked: false));
    }

    [Fact]
    public void Tokens_added_by_the_tokenizer_are_never_assistant_tokens()
    {
        var tokenizer = new CharTokenizer(addBos: true, addEos: true);

        TokenizedChat chat = tokenizer.EncodeChat(new ZephyrChatTemplate(), Conversation);

        Assert.Equal(tokenizer.EosToken!.Id, chat.InputIds[^1]);
        Assert.False(chat.AssistantMask[^1]);
        Assert.False(chat.AssistantMask[0]);
    }

    [Fact]
    public void Assistant_mask_uses_overlap_and_ignores_empty_ranges()
    {
        Range[] offsets = [0..2, 2..4, 4..4, 4..6, 6..8];
        ChatSpan[] spans = [new(3, 2, 1), new(7, 0, 3)];

        bool[] mask = ChatTokenizerExtensions.AssistantMask(offsets, 8, spans);

        Assert.Equal([false, true, false, true, false], mask);
    }

    [Fact]
    public void Template_errors_propagate_and_arguments_are_checked()
    {
        var tokenizer = new CharTokenizer();

        Assert.Throws<FormatException>(() => tokenizer.EncodeChat(new Llama2ChatTemplate(), [ConversationMessage.Assistant("a")]));
        Assert.Throws<ArgumentNullException>(() => tokenizer.EncodeChat(null!, Conversation));
        Assert.Throws<ArgumentNullException>(() => ((ITokenizer)null!).EncodeChat(new ChatMlChatTemplate(), Conversation));
    }
}
