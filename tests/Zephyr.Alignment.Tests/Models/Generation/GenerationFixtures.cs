using System.Text.Json;

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
