using Zephyr.Alignment.Models.Generation;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>
/// The KV cache gives the tokens that recomputing the whole sequence every step gives, on tiny-mistral whose sliding
/// window (8) is shorter than every sequence here, so the window is applied to cached keys too.
/// </summary>
public sealed class CacheEquivalenceTests
{
    public static TheoryData<string, double, long> Modes => new()
    {
        { "greedy", 0, 0 },
        { "sampled", 1.0, 7 },
        { "sampled, top-k 20, top-p 0.9, penalty 1.3", 0.8, 11 },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Single_prompts_get_the_same_tokens_with_and_without_the_cache(string mode, double temperature, long seed)
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        var generator = new TokenGenerator(model);
        foreach (IReadOnlyList<int> prompt in GenerationFixtures.MixedPrompts("tiny-mistral"))
        {
            GenerationResult cached = generator.Generate(prompt, Options(mode, temperature, seed, useCache: true));
            GenerationResult recomputed = generator.Generate(prompt, Options(mode, temperature, seed, useCache: false));
            Assert.Equal(24, cached.TokenIds.Count);
            Assert.Equal(recomputed.TokenIds, cached.TokenIds);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Batches_get_the_same_tokens_with_and_without_the_cache(string mode, double temperature, long seed)
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        var generator = new TokenGenerator(model);
        IReadOnlyList<int>[] prompts = GenerationFixtures.MixedPrompts("tiny-mistral");
        IReadOnlyList<GenerationResult> cached = generator.GenerateBatch(prompts, Options(mode, temperature, seed, useCache: true));
        IReadOnlyList<GenerationResult> recomputed = generator.GenerateBatch(prompts, Options(mode, temperature, seed, useCache: false));
        for (int b = 0; b < prompts.Length; b++)
        {
            Assert.Equal(24, cached[b].TokenIds.Count);
            Assert.Equal(recomputed[b].TokenIds, cached[b].TokenIds);
        }
    }

    private static GenerationOptions Options(string mode, double temperature, long seed, bool useCache) => new()
    {
        MaxNewTokens = 24,
        EosTokenIds = [],
        Temperature = temperature,
        Seed = seed,
        TopK = mode.Contains("top-k", StringComparison.Ordinal) ? 20 : 0,
        TopP = mode.Contains("top-p", StringComparison.Ordinal) ? 0.9 : 1.0,
        RepetitionPenalty = mode.Contains("penalty", StringComparison.Ordinal) ? 1.3 : 1.0,
        UseCache = useCache,
    };
}
