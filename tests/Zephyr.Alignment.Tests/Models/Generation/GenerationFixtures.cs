using System.Text.Json;
using TorchSharp;
using Zephyr.Alignment.Models;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>The fixtures' greedy items (prompt, reference continuation) as the int lists the generator takes.</summary>
internal static class GenerationFixtures
{
    public sealed record GreedyItem(int[] PromptIds, int[] NewIds, int? FirstEosIndex);

    public static GreedyItem[] GreedyItems(string fixture)
        => [.. ModelFixtures.Expected(fixture).GetProperty("greedy").GetProperty("items").EnumerateArray().Select(item => new GreedyItem(
            Ints(item.GetProperty("prompt_ids")),
            Ints(item.GetProperty("new_ids")),
            item.GetProperty("first_eos_index").ValueKind == JsonValueKind.Null ? null : item.GetProperty("first_eos_index").GetInt32()))];

    /// <summary>
    /// The smallest logit gap between the chosen (top) id and the runner-up over the greedy steps that produced
    /// <paramref name="generated"/> from <paramref name="prompt"/>, from one uncached forward pass in float32.
    /// </summary>
    public static double SmallestTopTwoGap(CausalLanguageModel model, IReadOnlyList<int> prompt, IReadOnlyList<int> generated)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long[] ids = [.. prompt.Select(i => (long)i), .. generated.Select(i => (long)i)];
        Tensor logits = model.Forward(tensor(ids, [1, ids.Length], ScalarType.Int64))[0] // [S, V]
            .narrow(0, prompt.Count - 1, generated.Count) // [N, V]: the logits each generated id was picked from
            .to(ScalarType.Float32);
        var (top, _) = logits.topk(2, dim: -1); // [N, 2]
        return (top[.., 0] - top[.., 1]).min().item<float>();
    }

    /// <summary>
    /// How far apart the top two logits must be for a batch/alone comparison to be meaningful: 1e-4, over 30 times the
    /// largest batch-versus-alone logit difference measured on the fixtures (3e-6, any thread count).
    /// </summary>
    public const double TieMargin = 1e-4;

    public static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt32())];

    /// <summary>
    /// Prompts of different lengths for batch and cache tests on tiny-mistral: the two fixture prompts (17 tokens, longer
    /// than the sliding window of 8) and a 3-token one whose continuation crosses the window while generating.
    /// </summary>
    public static IReadOnlyList<int>[] MixedPrompts(string fixture)
    {
        GreedyItem[] items = GreedyItems(fixture);
        return [items[0].PromptIds, items[1].PromptIds, items[1].PromptIds[..3]];
    }
}
