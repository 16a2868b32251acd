using TorchSharp;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>Sampling through the model: seeds reproduce, degenerate filters equal greedy, the penalty follows HF's rule.</summary>
public sealed class SamplingTests
{
    [Fact]
    public void The_same_seed_reproduces_the_tokens_and_different_seeds_differ()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        var generator = new TokenGenerator(model);
        int[] prompt = GenerationFixtures.GreedyItems("tiny-llama")[1].PromptIds;
        GenerationOptions Options(long seed) => new() { MaxNewTokens = 32, EosTokenIds = [], Temperature = 1.5, Seed = seed };

        GenerationResult first = generator.Generate(prompt, Options(1234));
        GenerationResult again = generator.Generate(prompt, Options(1234));
        GenerationResult other = generator.Generate(prompt, Options(4321));

        Assert.Equal(32, first.TokenIds.Count);
        Assert.Equal(first.TokenIds, again.TokenIds);

        // At temperature 1.5 over 512 ids, two seeds agreeing on 32 draws is practically impossible.
        Assert.NotEqual(first.TokenIds, other.TokenIds);
    }

    [Fact]
    public void Seeded_batches_reproduce_too()
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        var generator = new TokenGenerator(model);
        IReadOnlyList<int>[] prompts = GenerationFixtures.MixedPrompts("tiny-mistral");
        var options = new GenerationOptions { MaxNewTokens = 20, EosTokenIds = [], Temperature = 1.2, TopP = 0.95, Seed = 99 };

        IReadOnlyList<GenerationResult> first = generator.GenerateBatch(prompts, options);
        IReadOnlyList<GenerationResult> again = generator.GenerateBatch(prompts, options);
        Assert.Equal(first.Select(r => r.TokenIds), again.Select(r => r.TokenIds));
    }

    [Theory]
    [InlineData(1, 1.0)]
    [InlineData(0, 1e-9)]
    public void Top_k_one_or_a_tiny_top_p_sample_exactly_the_greedy_tokens(int topK, double topP)
    {
        using var model = ModelFixtures.Load("tiny-llama");
        var generator = new TokenGenerator(model);
        foreach (GenerationFixtures.GreedyItem item in GenerationFixtures.GreedyItems("tiny-llama"))
        {
            var options = new GenerationOptions { MaxNewTokens = item.NewIds.Length, EosTokenIds = [], Temperature = 1.5, TopK = topK, TopP = topP, Seed = 3 };
            Assert.Equal(item.NewIds, generator.Generate(item.PromptIds, options).TokenIds);
        }
    }

    [Fact]
    public void Repetition_penalty_breaks_a_repeating_greedy_continuation_as_the_hf_rule_predicts()
    {
        // The reference continuation repeats id 484 six times in a row.
        const string fixture = "tiny-llama-bf16-sharded";
        GenerationFixtures.GreedyItem item = GenerationFixtures.GreedyItems(fixture)[0];
        Assert.Equal(6, item.NewIds.Count(id => id == 484));
        using var model = ModelFixtures.Load(fixture);

        var options = new GenerationOptions { MaxNewTokens = 16, EosTokenIds = [], RepetitionPenalty = 1.5 };
        IReadOnlyList<int> penalized = new TokenGenerator(model).Generate(item.PromptIds, options).TokenIds;

        Assert.NotEqual(item.NewIds, penalized);
        Assert.Equal(PenalizedGreedyByHand(model, item.PromptIds, 16, 1.5f), penalized);
    }

    /// <summary>Recomputes the sequence every step and applies the penalty in plain C# over prompt + generated ids.</summary>
    private static int[] PenalizedGreedyByHand(CausalLanguageModel model, int[] prompt, int newTokens, float penalty)
    {
        var sequence = prompt.ToList();
        using var noGrad = no_grad();
        for (int step = 0; step < newTokens; step++)
        {
            using var scope = NewDisposeScope();
            float[] logits = model.Forward(ModelFixtures.Ids([.. sequence.Select(i => (long)i)]))[0, -1].data<float>().ToArray(); // [V]
            foreach (int seen in sequence.Distinct())
            {
                logits[seen] = logits[seen] < 0 ? logits[seen] * penalty : logits[seen] / penalty;
            }

            sequence.Add(Array.IndexOf(logits, logits.Max()));
        }

        return [.. sequence.Skip(prompt.Length)];
    }
}
