using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Tests.Chat;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Data;

public sealed class PreferenceTokenizerTests
{
    private static readonly ITokenizer Llama = HuggingFaceTokenizer.FromFolder(TestPaths.Fixture("tiny-llama-tokenizer"));
    private static readonly IChatTemplate Zephyr = ChatTemplates.Default.Get("zephyr");

    private static readonly PreferenceExample Pair = new()
    {
        Prompt = [ConversationMessage.User("What is 2+2?")],
        Chosen = "4",
        Rejected = "5",
        Source = "pairs.jsonl: line 1",
    };

    [Fact]
    public void Ids_are_the_rendered_conversation_split_where_the_prompt_ends()
    {
        // One id per character makes every id checkable by hand: bos 1, eos 2, other characters 1000 + code.
        var tokenizer = new CharTokenizer();
        var preference = new PreferenceTokenizer(tokenizer, Zephyr);

        TokenizedPreference ids = Assert.IsType<TokenizedPreference>(preference.Tokenize(Pair));

        // Zephyr's template writes no bos, so the tokenizer's bos is added; the empty system turn comes from the template.
        // The completion is what the template writes for the turn, its end of turn "</s>\n" included (TRL 1.x).
        string rendered = "<|system|>\n</s>\n<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n";
        Assert.Equal([1, .. tokenizer.Encode(rendered, addSpecialTokens: false).Ids], ids.PromptIds);
        Assert.Equal([1000 + '4', 2, 1000 + '\n'], ids.ChosenIds);
        Assert.Equal([1000 + '5', 2, 1000 + '\n'], ids.RejectedIds);
        Assert.Equal("pairs.jsonl: line 1", ids.Source);
        Assert.Equal(1, preference.Report.Kept);
    }

    [Fact]
    public void With_the_checkpoint_tokenizer_completions_have_the_ids_of_the_rendered_chat_not_of_the_text_alone()
    {
        var preference = new PreferenceTokenizer(Llama, Zephyr);
        var example = Pair with { Chosen = "The answer is 4.", Rejected = "I am not sure." };

        TokenizedPreference ids = preference.Tokenize(example)!;

        Assert.Equal(Llama.EncodeChat(Zephyr, example.Prompt, addGenerationPrompt: true).InputIds, ids.PromptIds);
        Assert.Equal(Llama.BosToken!.Id, ids.PromptIds[0]);
        Assert.EndsWith("<|assistant|>\n", Llama.Decode(ids.PromptIds), StringComparison.Ordinal);
        Assert.Equal(Llama.EncodeChat(Zephyr, [.. example.Prompt, ConversationMessage.Assistant(example.Chosen)]).InputIds, [.. ids.PromptIds, .. ids.ChosenIds]);
        Assert.Equal(Llama.EncodeChat(Zephyr, [.. example.Prompt, ConversationMessage.Assistant(example.Rejected)]).InputIds, [.. ids.PromptIds, .. ids.RejectedIds]);

        // Tokenized on its own, SentencePiece starts the answer with "▁The", an id the model never writes after "<|assistant|>\n".
        int[] alone = [.. Llama.Encode("The answer is 4.", addSpecialTokens: false).Ids];
        Assert.NotEqual(alone[0], ids.ChosenIds[0]);
        Assert.Contains(Llama.EosToken!.Id, ids.ChosenIds);
        Assert.DoesNotContain(Llama.BosToken.Id, ids.ChosenIds);
    }

    [Fact]
    public async Task For_every_fixture_pair_the_row_is_the_full_conversation_as_EncodeChat_tokenizes_it()
    {
        var preference = new PreferenceTokenizer(Llama, Zephyr, new PreferenceTokenizerOptions { MaxLength = 100_000, MaxPromptLength = null });
        List<PreferenceExample> examples = await DataFixtures.ToListAsync(new PreferenceDataset(DataFixtures.PathOf("prefs.parquet")).ReadAsync());

        foreach (PreferenceExample example in examples)
        {
            TokenizedPreference ids = preference.Tokenize(example)!;
            Assert.NotNull(ids);

            // The eos rule: the template's own end of turn holds eos, so nothing is appended and the ids are exact.
            Assert.Equal(Llama.EncodeChat(Zephyr, [.. example.Prompt, ConversationMessage.Assistant(example.Chosen)]).InputIds, [.. ids.PromptIds, .. ids.ChosenIds]);
            Assert.Equal(Llama.EncodeChat(Zephyr, [.. example.Prompt, ConversationMessage.Assistant(example.Rejected)]).InputIds, [.. ids.PromptIds, .. ids.RejectedIds]);
        }

        Assert.Equal(examples.Count, preference.Report.Kept);
    }

    [Fact]
    public void A_template_whose_turns_end_without_eos_gets_eos_appended()
    {
        var tokenizer = new CharTokenizer(specialTokens: ["<|im_start|>", "<|im_end|>"]);
        var preference = new PreferenceTokenizer(tokenizer, ChatTemplates.Default.Get("chatml"));

        TokenizedPreference ids = preference.Tokenize(Pair)!;

        Assert.Equal(tokenizer.EosToken!.Id, ids.ChosenIds[^1]);
        Assert.Equal(tokenizer.EncodeChat(ChatTemplates.Default.Get("chatml"), [.. Pair.Prompt, ConversationMessage.Assistant("4")]).InputIds, [.. ids.PromptIds, .. ids.ChosenIds[..^1]]);
    }

    [Fact]
    public void A_plain_prompt_is_encoded_as_is_without_a_template()
    {
        var tokenizer = new CharTokenizer();
        var preference = new PreferenceTokenizer(tokenizer, Zephyr);

        TokenizedPreference ids = preference.Tokenize(new PreferenceExample { Prompt = [], PromptText = "Q: 2+2?", Chosen = "4", Rejected = "5" })!;
        TokenizedPreference withBos = preference.Tokenize(new PreferenceExample { Prompt = [], PromptText = "<s>Q", Chosen = "4", Rejected = "5" })!;

        Assert.Equal([1, .. "Q: 2+2?".Select(c => 1000 + c)], ids.PromptIds);
        Assert.Equal([1000 + '4', 2], ids.ChosenIds);
        Assert.Equal([1, 1000 + 'Q'], withBos.PromptIds);
    }

    [Theory]
    [InlineData(TruncationMode.KeepEnd, new[] { 13, 14, 15, 16, 17, 18, 19, 20 }, 3)]
    [InlineData(TruncationMode.KeepStart, new[] { 3, 4, 5, 6, 7, 8, 9, 10 }, 3)]
    [InlineData(TruncationMode.KeepEnd, new[] { 1, 14, 15, 16, 17, 18, 19, 20 }, 1)]
    [InlineData(TruncationMode.KeepStart, new[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 1)]
    public void A_pair_too_long_loses_prompt_tokens_by_the_truncation_mode_keeping_bos_then_completion_ends(
        TruncationMode mode, int[] expectedPrompt, int firstPromptId)
    {
        // The CharTokenizer's bos is 1: a prompt that starts with it keeps it under KeepEnd too.
        var preference = new PreferenceTokenizer(new CharTokenizer(), Zephyr, new PreferenceTokenizerOptions { MaxLength = 16, MaxPromptLength = 8, TruncationMode = mode });
        int[] prompt = [.. Enumerable.Range(firstPromptId, 21 - firstPromptId)];
        int[] chosen = [.. Enumerable.Range(100, 10)];
        int[] rejected = [.. Enumerable.Range(200, 5)];

        TokenizedPreference fitted = preference.Fit(prompt, chosen, rejected)!;

        Assert.Equal(expectedPrompt, fitted.PromptIds);
        Assert.Equal(Enumerable.Range(100, 8), fitted.ChosenIds);
        Assert.Equal(rejected, fitted.RejectedIds);
        Assert.Equal(16, fitted.MaxSequenceLength);
        Assert.Equal(1, preference.Report.Truncated);
    }

    [Fact]
    public void A_pair_that_fits_is_left_alone_even_with_a_prompt_longer_than_max_prompt_length()
    {
        // TRL truncates the prompt only when the pair exceeds max_length.
        var preference = new PreferenceTokenizer(new CharTokenizer(), Zephyr, new PreferenceTokenizerOptions { MaxLength = 32, MaxPromptLength = 4 });

        TokenizedPreference fitted = preference.Fit([.. Enumerable.Range(1, 20)], [100, 2], [200, 2])!;

        Assert.Equal(20, fitted.PromptIds.Length);
        Assert.Equal(0, preference.Report.Truncated);
    }

    [Fact]
    public void Only_the_completion_budget_is_cut_when_the_prompt_is_short()
    {
        var preference = new PreferenceTokenizer(new CharTokenizer(), Zephyr, new PreferenceTokenizerOptions { MaxLength = 10, MaxPromptLength = 8 });

        TokenizedPreference fitted = preference.Fit([1, 2, 3], [.. Enumerable.Range(100, 12)], [200, 201, 2])!;

        Assert.Equal([1, 2, 3], fitted.PromptIds);
        Assert.Equal(Enumerable.Range(100, 7), fitted.ChosenIds);
        Assert.Equal([200, 201, 2], fitted.RejectedIds);
    }

    [Fact]
    public void Pairs_that_cannot_fit_are_dropped_and_counted_with_reasons()
    {
        var preference = new PreferenceTokenizer(new CharTokenizer(), Zephyr, new PreferenceTokenizerOptions { MaxLength = 8, MaxPromptLength = null });

        Assert.Null(preference.Fit([.. Enumerable.Range(1, 8)], [100, 2], [200, 2], "a.jsonl: line 4"));
        Assert.Null(preference.Fit([1, 2], [100, 101, 102, 103, 104, 105, 106, 2], [100, 101, 102, 103, 104, 105, 106, 3], "a.jsonl: line 5"));
        Assert.Null(preference.Fit([], [100, 2], [200, 2], "a.jsonl: line 6"));
        Assert.NotNull(preference.Fit([1, 2], [100, 2], [200, 2]));

        Assert.Equal(3, preference.Report.Dropped.Count);
        Assert.Equal(1, preference.Report.Kept);
        Assert.Equal(
        [
            "a.jsonl: line 4: the prompt has 8 tokens, leaving no room for a completion within MaxLength 8",
            "a.jsonl: line 5: chosen and rejected are identical after truncation to 6 completion tokens",
            "a.jsonl: line 6: the prompt has no tokens",
        ], preference.Report.Dropped.FirstReasons);
        Assert.StartsWith("1 kept (0 truncated); 3 preference pairs dropped", preference.Report.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_preference_fixture_tokenizes_within_the_recipe_limits()
    {
        var preference = new PreferenceTokenizer(Llama, Zephyr);
        var dataset = new PreferenceDataset(DataFixtures.PathOf("prefs.parquet"));

        List<TokenizedPreference> pairs = await DataFixtures.ToListAsync(preference.TokenizeAsync(dataset));

        Assert.Equal(200, preference.Report.Kept + preference.Report.Dropped.Count);
        Assert.Equal(pairs.Count, preference.Report.Kept);
        Assert.All(pairs, p => Assert.True(p.MaxSequenceLength <= 1024));
        Assert.All(pairs, p => Assert.Equal(Llama.BosToken!.Id, p.PromptIds[0]));
        Assert.All(pairs.Where(p => p.PromptIds.Length + Math.Max(p.ChosenIds.Length, p.RejectedIds.Length) < 1024), p =>
        {
            Assert.Contains(Llama.EosToken!.Id, p.ChosenIds);
            Assert.Contains(Llama.EosToken.Id, p.RejectedIds);
        });

        // Row 6 holds a 4,000-character answer: more than 1024 tokens with this small vocabulary, so it is truncated.
        TokenizedPreference longRow = Assert.Single(pairs, p => p.Source!.EndsWith(": row 6", StringComparison.Ordinal));
        Assert.Equal(1024, longRow.MaxSequenceLength);
        Assert.True(preference.Report.Truncated >= 1);
    }

    [Fact]
    public void Options_are_validated_with_their_names_and_values()
    {
        ArgumentOutOfRangeException prompt = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new PreferenceTokenizer(Llama, Zephyr, new PreferenceTokenizerOptions { MaxLength = 100, MaxPromptLength = 200 }));
        Assert.Equal("MaxPromptLength", prompt.ParamName);
        Assert.Equal(200, prompt.ActualValue);

        ArgumentOutOfRangeException length = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new PreferenceTokenizer(Llama, Zephyr, new PreferenceTokenizerOptions { MaxLength = 1 }));
        Assert.Equal("MaxLength", length.ParamName);

        Assert.Throws<ArgumentException>(() => new PreferenceTokenizer(new CharTokenizer(eos: null), Zephyr));
        Assert.Throws<ArgumentNullException>(() => new PreferenceTokenizer(Llama, null!));
    }

    [Fact]
    public void Defaults_are_the_zephyr_recipe()
    {
        var options = new PreferenceTokenizerOptions();

        Assert.Equal(1024, options.MaxLength);
        Assert.Equal(512, options.MaxPromptLength);
        Assert.Equal(TruncationMode.KeepEnd, options.TruncationMode);
    }
}
