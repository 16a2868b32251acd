using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>Running new tokens against a cache gives what recomputing the whole sequence gives.</summary>
public sealed class KeyValueCacheTests
{
    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-mistral")]
    public void Cached_step_by_step_logits_equal_full_sequence_logits(string fixture)
    {
        JsonElement single = ModelFixtures.Expected(fixture).GetProperty("single");
        long[] ids = ModelFixtures.Longs(single.GetProperty("input_ids"));
        using var model = ModelFixtures.Load(fixture);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor full = model.Forward(ModelFixtures.Ids(ids))[0]; // [T, V]

        using var cache = model.CreateCache();
        var steps = new List<Tensor> { model.Forward(ModelFixtures.Ids(ids[..5]), null, null, cache)[0] };
        for (int t = 5; t < ids.Length; t++)
        {
            steps.Add(model.Forward(ModelFixtures.Ids(ids[t..(t + 1)]), null, null, cache)[0]);
        }

        Assert.Equal(ids.Length, cache.Length);
        Assert.True(ModelFixtures.MaxAbsDiff(cat(steps, 0), full) < 1e-4);
    }

    [Fact]
    public void Cached_greedy_on_a_left_padded_batch_equals_the_reference_tokens()
    {
        JsonElement items = ModelFixtures.Expected("tiny-mistral").GetProperty("greedy").GetProperty("items");
        long[][] prompts = [.. items.EnumerateArray().Select(i => ModelFixtures.Longs(i.GetProperty("prompt_ids")))];
        long[][] expected = [.. items.EnumerateArray().Select(i => ModelFixtures.Longs(i.GetProperty("new_ids")))];
        int width = prompts.Max(p => p.Length);
        long[][] padded = [.. prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(p).ToArray())];
        long[][] mask = [.. prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(Enumerable.Repeat(1L, p.Length)).ToArray())];
        long[][] positions = [.. prompts.Select(p => Enumerable.Repeat(0L, width - p.Length).Concat(Enumerable.Range(0, p.Length).Select(i => (long)i)).ToArray())];

        using var model = ModelFixtures.Load("tiny-mistral");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = model.CreateCache();
        Tensor attention = ModelFixtures.Ids(mask);
        Tensor next = model.Forward(ModelFixtures.Ids(padded), attention, ModelFixtures.Ids(positions), cache)[.., -1].argmax(-1); // [B]
        Tensor lastPosition = tensor(prompts.Select(p => (long)p.Length - 1).ToArray());
        var generated = new List<Tensor> { next };
        for (int step = 1; step < expected[0].Length; step++)
        {
            attention = cat([attention, ones_like(attention[.., ..1])], 1);
            lastPosition = lastPosition + 1;
            next = model.Forward(next.unsqueeze(1), attention, lastPosition.unsqueeze(1), cache)[.., -1].argmax(-1);
            generated.Add(next);
        }

        Tensor tokens = stack(generated, 1); // [B, new]
        for (int b = 0; b < prompts.Length; b++)
        {
            Assert.Equal(expected[b], tokens[b].data<long>().ToArray());
        }
    }
}
