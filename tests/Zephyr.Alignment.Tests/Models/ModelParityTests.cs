using System.Text.Json;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>The model reproduces the reference logits and log-probs of every fixture (fp32, CPU).</summary>
public sealed class ModelParityTests(ITestOutputHelper output)
{
    private const double LogitTolerance = 1e-4;
    private const double SumTolerance = 1e-3;

    [Theory]
    [MemberData(nameof(ModelFixtures.Names), MemberType = typeof(ModelFixtures))]
    public void Single_sequence_logits_match_the_reference(string fixture)
    {
        JsonElement single = ModelFixtures.Expected(fixture).GetProperty("single");
        using var model = ModelFixtures.Load(fixture);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        Tensor logits = model.Forward(ModelFixtures.Ids(ModelFixtures.Longs(single.GetProperty("input_ids")))); // [1, T, V]
        double diff = ModelFixtures.MaxAbsDiff(logits[0], ModelFixtures.Matrix(single.GetProperty("logits")));
        output.WriteLine($"{fixture} single: max abs diff {diff:E2}");
        Assert.True(diff <= LogitTolerance, $"max abs diff {diff}");
    }

    [Theory]
    [MemberData(nameof(ModelFixtures.Names), MemberType = typeof(ModelFixtures))]
    public void Right_padded_batch_matches_the_reference(string fixture)
    {
        JsonElement batch = ModelFixtures.Expected(fixture).GetProperty("padded_batch");
        double diff = RunPaddedBatch(fixture, batch, passPositions: false, leftPadded: false);
        output.WriteLine($"{fixture} right-padded: max abs diff {diff:E2}");
        Assert.True(diff <= LogitTolerance, $"max abs diff {diff}");
    }

    [Theory]
    [MemberData(nameof(ModelFixtures.Names), MemberType = typeof(ModelFixtures))]
    public void Left_padded_batch_with_position_ids_matches_the_reference(string fixture)
    {
        JsonElement batch = ModelFixtures.Expected(fixture).GetProperty("left_padded_batch");
        double diff = RunPaddedBatch(fixture, batch, passPositions: true, leftPadded: true);
        output.WriteLine($"{fixture} left-padded: max abs diff {diff:E2}");
        Assert.True(diff <= LogitTolerance, $"max abs diff {diff}");
    }

    [Theory]
    [MemberData(nameof(ModelFixtures.Names), MemberType = typeof(ModelFixtures))]
    public void Completion_log_probs_match_the_reference(string fixture)
    {
        JsonElement items = ModelFixtures.Expected(fixture).GetProperty("completion_logps").GetProperty("items");
        using var model = ModelFixtures.Load(fixture);
        using var noGrad = no_grad();
        double worstToken = 0, worstSum = 0, worstMean = 0;
        foreach (JsonElement item in items.EnumerateArray())
        {
            using var scope = NewDisposeScope();
            long[] prompt = ModelFixtures.Longs(item.GetProperty("prompt_ids"));
            long[] completion = ModelFixtures.Longs(item.GetProperty("completion_ids"));
            long[] ids = [.. prompt, .. completion];
            Tensor logits = model.Forward(ModelFixtures.Ids(ids))[0]; // [T, V]

            // The token at t is predicted by the logits at t - 1 (causal shift).
            Tensor predicting = logits.narrow(0, prompt.Length - 1, completion.Length); // [C, V]
            Tensor targets = tensor(completion).unsqueeze(1); // [C, 1]
            Tensor tokenLogps = predicting.log_softmax(-1).gather(1, targets).squeeze(1); // [C]

            worstToken = Math.Max(worstToken, ModelFixtures.MaxAbsDiff(tokenLogps, tensor(ModelFixtures.Floats(item.GetProperty("per_token_logps")))));
            worstSum = Math.Max(worstSum, Math.Abs(tokenLogps.sum().item<float>() - item.GetProperty("sum_logp").GetDouble()));
            worstMean = Math.Max(worstMean, Math.Abs(tokenLogps.mean().item<float>() - item.GetProperty("mean_logp").GetDouble()));
        }

        output.WriteLine($"{fixture} completion log-probs: per-token {worstToken:E2}, sum {worstSum:E2}, mean {worstMean:E2}");
        Assert.True(worstToken <= LogitTolerance, $"per-token max abs diff {worstToken}");
        Assert.True(worstMean <= LogitTolerance, $"mean max abs diff {worstMean}");
        Assert.True(worstSum <= SumTolerance, $"sum max abs diff {worstSum}");
    }

    [Theory]
    [MemberData(nameof(ModelFixtures.Names), MemberType = typeof(ModelFixtures))]
    public void Greedy_continuation_by_full_recomputation_matches_the_reference(string fixture)
    {
        JsonElement greedy = ModelFixtures.Expected(fixture).GetProperty("greedy");
        using var model = ModelFixtures.Load(fixture);
        foreach (JsonElement item in greedy.GetProperty("items").EnumerateArray())
        {
            long[] expected = ModelFixtures.Longs(item.GetProperty("new_ids"));
            long[] actual = ModelFixtures.GreedyByRecomputation(model, ModelFixtures.Longs(item.GetProperty("prompt_ids")), expected.Length);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Sliding_window_changes_mistral_logits_so_the_window_is_exercised()
    {
        JsonElement single = ModelFixtures.Expected("tiny-mistral").GetProperty("single");
        using var model = ModelFixtures.Load("tiny-mistral");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor ids = ModelFixtures.Ids(ModelFixtures.Longs(single.GetProperty("input_ids")));
        Tensor windowed = model.Forward(ids);
        model.Config.SlidingWindow = null;
        Tensor full = model.Forward(ids);
        model.Config.SlidingWindow = 8;

        // Within the first 8 positions the window changes nothing; beyond it, it must.
        Assert.True(ModelFixtures.MaxAbsDiff(windowed[0, ..8], full[0, ..8]) < 1e-6);
        Assert.True(ModelFixtures.MaxAbsDiff(windowed[0, 8..], full[0, 8..]) > 1e-2);
    }

    private static double RunPaddedBatch(string fixture, JsonElement batch, bool passPositions, bool leftPadded)
    {
        using var model = ModelFixtures.Load(fixture);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[][] ids = [.. batch.GetProperty("input_ids").EnumerateArray().Select(ModelFixtures.Longs)];
        long[][] mask = [.. batch.GetProperty("attention_mask").EnumerateArray().Select(ModelFixtures.Longs)];
        long[][] positions = [.. batch.GetProperty("position_ids").EnumerateArray().Select(ModelFixtures.Longs)];
        long[] lengths = ModelFixtures.Longs(batch.GetProperty("lengths"));
        JsonElement[] expectedRows = [.. batch.GetProperty("logits").EnumerateArray()];

        Tensor logits = model.Forward(ModelFixtures.Ids(ids), ModelFixtures.Ids(mask), passPositions ? ModelFixtures.Ids(positions) : null); // [B, T, V]
        double worst = 0;
        long width = ids[0].Length;
        for (int b = 0; b < ids.Length; b++)
        {
            long start = leftPadded ? width - lengths[b] : 0;
            Tensor real = logits[b].narrow(0, start, lengths[b]); // [len, V]
            worst = Math.Max(worst, ModelFixtures.MaxAbsDiff(real, ModelFixtures.Matrix(expectedRows[b])));
        }

        return worst;
    }
}
