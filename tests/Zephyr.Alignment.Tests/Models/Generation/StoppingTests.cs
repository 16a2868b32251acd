using Xunit.Abstractions;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>Generation stops at eos ids, at the length limit, at stop strings and on cancellation.</summary>
public sealed class StoppingTests(ITestOutputHelper output)
{
    private static readonly GenerationFixtures.GreedyItem Item = GenerationFixtures.GreedyItems("tiny-llama")[1]; // no eos in 16 tokens

    [Fact]
    public void It_stops_after_max_new_tokens()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        var generator = new TokenGenerator(model);
        foreach (int limit in new[] { 1, 5 })
        {
            GenerationResult result = generator.Generate(Item.PromptIds, new GenerationOptions { MaxNewTokens = limit });
            Assert.Equal(Item.NewIds[..limit], result.TokenIds);
            Assert.Equal(GenerationStopReason.MaxNewTokens, result.StopReason);
        }
    }

    [Fact]
    public void Custom_eos_ids_replace_the_configs_and_stop_at_their_first_occurrence()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        int eos = Item.NewIds[6];
        int first = Array.IndexOf(Item.NewIds, eos);
        GenerationResult result = new TokenGenerator(model).Generate(Item.PromptIds, new GenerationOptions { MaxNewTokens = 16, EosTokenIds = [12345, eos] });
        Assert.Equal(Item.NewIds[..(first + 1)], result.TokenIds);
        Assert.Equal(GenerationStopReason.EndOfSequence, result.StopReason);
    }

    [Fact]
    public void It_stops_once_the_decoded_new_tokens_contain_a_stop_string_and_keeps_the_tokens_that_made_it()
    {
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(ModelFixtures.PathOf("tiny-llama"));
        (string stop, int stopIndex) = FirstNewText(tokenizer, Item.NewIds, from: 3);
        output.WriteLine($"continuation '{tokenizer.Decode(Item.NewIds)}'; stop string '{stop}' completed by token {stopIndex}");

        using var model = ModelFixtures.Load("tiny-llama");
        var generator = new TokenGenerator(model, tokenizer);
        GenerationResult result = generator.Generate(Item.PromptIds, new GenerationOptions { MaxNewTokens = 16, StopStrings = ["never appears ~~", stop] });

        Assert.Equal(Item.NewIds[..(stopIndex + 1)], result.TokenIds);
        Assert.Equal(GenerationStopReason.StopString, result.StopReason);
        Assert.Contains(stop, tokenizer.Decode(result.TokenIds), StringComparison.Ordinal);
    }

    [Fact]
    public void A_stop_string_that_never_appears_changes_nothing()
    {
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(ModelFixtures.PathOf("tiny-llama"));
        using var model = ModelFixtures.Load("tiny-llama");
        GenerationResult result = new TokenGenerator(model, tokenizer).Generate(Item.PromptIds, new GenerationOptions { MaxNewTokens = 16, StopStrings = ["never appears ~~"] });
        Assert.Equal(Item.NewIds, result.TokenIds);
        Assert.Equal(GenerationStopReason.MaxNewTokens, result.StopReason);
    }

    [Fact]
    public void A_token_cancelled_before_the_call_gives_an_empty_cancelled_result()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        IReadOnlyList<GenerationResult> results = new TokenGenerator(model).GenerateBatch(
            [Item.PromptIds, Item.PromptIds[..4]], new GenerationOptions(), new CancellationToken(canceled: true));
        Assert.All(results, r =>
        {
            Assert.Empty(r.TokenIds);
            Assert.Equal(GenerationStopReason.Cancelled, r.StopReason);
        });
    }

    [Fact]
    public void Cancelling_during_generation_returns_the_tokens_generated_so_far()
    {
        // The tokenizer decodes once per step (for the stop string check); it cancels after the third.
        using var cancellation = new CancellationTokenSource();
        var tokenizer = new DecodeHookTokenizer(HuggingFaceTokenizer.FromFolder(ModelFixtures.PathOf("tiny-llama")), count =>
        {
            if (count == 3)
            {
                cancellation.Cancel();
            }
        });
        using var model = ModelFixtures.Load("tiny-llama");

        GenerationResult result = new TokenGenerator(model, tokenizer).Generate(
            Item.PromptIds, new GenerationOptions { MaxNewTokens = 16, StopStrings = ["never appears ~~"] }, cancellation.Token);

        Assert.Equal(Item.NewIds[..3], result.TokenIds);
        Assert.Equal(GenerationStopReason.Cancelled, result.StopReason);
    }

    /// <summary>A stop string that first appears in the decoded text once token <c>index ≥ from</c> is added.</summary>
    private static (string Stop, int Index) FirstNewText(ITokenizer tokenizer, int[] ids, int from)
    {
        for (int index = from; index < ids.Length; index++)
        {
            string before = tokenizer.Decode(ids[..index]);
            string after = tokenizer.Decode(ids[..(index + 1)]);
            if (after.StartsWith(before, StringComparison.Ordinal) && after.Length > before.Length)
            {
                string stop = after[Math.Max(0, before.Length - 1)..]; // the new text plus one earlier char, to span tokens
                // Replacement characters stand for bytes of an unfinished character: a stop string should be real text.
                if (!before.Contains(stop, StringComparison.Ordinal) && !stop.Contains('\uFFFD', StringComparison.Ordinal))
                {
                    return (stop, index);
                }
            }
        }

        throw new InvalidOperationException("The fixture continuation has no token that adds fresh text.");
    }
}
