using TorchSharp;
using Zephyr.Alignment.Models.Generation;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>The logits processors on hand-made tensors, checked against Hugging Face's rules worked out by hand.</summary>
public sealed class SamplerTests
{
    private static readonly float NegInf = float.NegativeInfinity;

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_seen_ids_only()
    {
        using var scope = NewDisposeScope();
        Tensor logits = tensor(new float[] { 2, -2, 0.5f, -1, 0, 3, -3, 1, 1, -0.5f }, [2, 5]);
        Tensor seen = tensor(new[] { true, true, false, false, true, false, true, true, false, true }, [2, 5]);

        float[] actual = Sampler.ApplyRepetitionPenalty(logits, seen, 2.0).data<float>().ToArray();

        // Row 0: 2 → 1, -2 → -4, unseen 0.5 and -1 untouched, 0 stays 0. Row 1: seen -3 → -6, 1 → 0.5, -0.5 → -1.
        Assert.Equal(new float[] { 1, -4, 0.5f, -1, 0, 3, -6, 0.5f, 1, -1 }, actual);
    }

    [Fact]
    public void A_penalty_below_one_favours_seen_ids()
    {
        using var scope = NewDisposeScope();
        Tensor logits = tensor(new float[] { 2, -2, 1 }, [1, 3]);
        Tensor seen = tensor(new[] { true, true, false }, [1, 3]);
        Assert.Equal(new float[] { 4, -1, 1 }, Sampler.ApplyRepetitionPenalty(logits, seen, 0.5).data<float>().ToArray());
    }

    [Fact]
    public void Top_k_keeps_the_k_largest_logits_per_row_and_ties_with_the_kth()
    {
        using var scope = NewDisposeScope();
        Tensor logits = tensor(new float[] { 1, 3, 2, 3, 0, 5, 4, 3, 2, 1 }, [2, 5]);

        Assert.Equal(new[] { NegInf, 3, NegInf, 3, NegInf, 5, 4, NegInf, NegInf, NegInf }, Sampler.ApplyTopK(logits, 2).data<float>().ToArray());
        Assert.Equal(new[] { NegInf, 3, 2, 3, NegInf, 5, 4, 3, NegInf, NegInf }, Sampler.ApplyTopK(logits, 3).data<float>().ToArray());
        Assert.Equal(logits.data<float>().ToArray(), Sampler.ApplyTopK(logits, 50).data<float>().ToArray());
    }

    [Fact]
    public void Top_p_removes_the_least_likely_ids_whose_cumulative_probability_stays_within_one_minus_p()
    {
        using var scope = NewDisposeScope();

        // Probabilities 0.5, 0.3, 0.15, 0.05; ascending cumulative 0.05, 0.2, 0.5, 1.0.
        float[] probabilities = [0.5f, 0.3f, 0.15f, 0.05f];
        Tensor logits = tensor(probabilities.Select(p => MathF.Log(p)).ToArray(), [1, 4]);

        float[] Kept(double p) => [.. Sampler.ApplyTopP(logits, p).data<float>().ToArray().Select(v => float.IsNegativeInfinity(v) ? 0f : 1f)];

        Assert.Equal(new float[] { 1, 1, 0, 0 }, Kept(0.7)); // 1 - p = 0.3: 0.05 and 0.2 are at or below it
        Assert.Equal(new float[] { 1, 1, 1, 0 }, Kept(0.9)); // 1 - p = 0.1: only the 0.05 id goes
        Assert.Equal(new float[] { 1, 0, 0, 0 }, Kept(1e-9)); // the most likely id always stays
    }

    [Fact]
    public void Top_p_works_row_by_row_on_unsorted_logits()
    {
        using var scope = NewDisposeScope();
        Tensor logits = tensor(new float[] { 0, 10, 0, 0, 5, 5, 5, 5 }, [2, 4]);
        float[] kept = [.. Sampler.ApplyTopP(logits, 0.5).data<float>().ToArray().Select(v => float.IsNegativeInfinity(v) ? 0f : 1f)];

        // Row 0 is nearly all on id 1. Row 1 is uniform: ascending cumulative 0.25, 0.5, 0.75, 1, and the first two are
        // at or below 1 - p = 0.5, so two of its ids remain (which two, among equals, is the sort's business).
        Assert.Equal(new float[] { 0, 1, 0, 0 }, kept[..4]);
        Assert.Equal(2, kept[4..].Sum());
    }

    [Fact]
    public void Greedy_selection_takes_the_argmax_after_the_repetition_penalty()
    {
        using var scope = NewDisposeScope();
        Tensor logits = tensor(new float[] { 3, 2, 0, 1, 1.5f, 0 }, [2, 3]);
        Tensor seen = tensor(new[] { true, false, false, false, false, false }, [2, 3]);
        using var sampler = new Sampler(new GenerationOptions { RepetitionPenalty = 2 }, CPU);

        // Row 0: 3 → 1.5 falls below 2, so id 1 wins; row 1 has nothing seen and keeps its argmax.
        Assert.Equal(new long[] { 1, 1 }, sampler.Select(logits, seen).data<long>().ToArray());
    }

    [Fact]
    public void Seeded_sampling_repeats_its_draws_and_follows_the_distribution()
    {
        using var scope = NewDisposeScope();
        Tensor logits = zeros([4, 64]); // uniform rows: any draw is possible
        long[] Draw(long seed)
        {
            using var sampler = new Sampler(new GenerationOptions { Temperature = 1, Seed = seed }, CPU);
            return [.. Enumerable.Range(0, 8).SelectMany(_ => sampler.Select(logits, null).data<long>().ToArray())];
        }

        Assert.Equal(Draw(5), Draw(5));
        Assert.NotEqual(Draw(5), Draw(6));

        // With top-k 1 the sampler can only return the argmax.
        Tensor peaked = tensor(new float[] { 0, 0.1f, 0.2f, 0 }, [1, 4]);
        using var topOne = new Sampler(new GenerationOptions { Temperature = 2, TopK = 1, Seed = 1 }, CPU);
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(2, topOne.Select(peaked, null).item<long>()));
    }
}
