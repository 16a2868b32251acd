using System.Text.Json;
using TorchSharp;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>Paths and expected values of the tiny model fixtures (see Fixtures/tiny-*/PROVENANCE.md).</summary>
internal static class ModelFixtures
{
    /// <summary>The Llama-family variants of Fixtures/model-variants (RoPE scaling, Qwen2, Qwen3, SmolLM3).</summary>
    public static readonly string[] Variants = ["tiny-llama3-rope", "tiny-llama-yarn", "tiny-qwen2", "tiny-qwen3", "tiny-smollm3"];

    public static readonly string[] All = ["tiny-llama", "tiny-llama-tied", "tiny-llama-bf16-sharded", "tiny-mistral", .. Variants];

    public static TheoryData<string> Names => new(All);

    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static JsonElement Expected(string name)
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(PathOf(name), "expected.json")));
        return document.RootElement.Clone();
    }

    public static CausalLanguageModel Load(string name, ScalarType dtype = ScalarType.Float32)
    {
        TorchRuntime.EnsureInitialized();
        return PretrainedModel.Load(PathOf(name), new ModelLoadOptions { DType = dtype });
    }

    public static long[] Longs(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt64())];

    public static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetSingle())];

    /// <summary>A [rows, V] float tensor from a JSON list of rows.</summary>
    public static Tensor Matrix(JsonElement rows)
    {
        float[][] values = [.. rows.EnumerateArray().Select(Floats)];
        return tensor(values.SelectMany(r => r).ToArray(), [values.Length, values[0].Length]);
    }

    public static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    public static double MaxAbsDiff(Tensor actual, Tensor expected)
        => (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max().item<double>();

    /// <summary>Same dtype, shape and bytes.</summary>
    public static bool BitEqual(Tensor a, Tensor b)
    {
        if (a.dtype != b.dtype || !a.shape.SequenceEqual(b.shape))
        {
            return false;
        }

        using var scope = NewDisposeScope();
        return a.detach().cpu().contiguous().bytes.SequenceEqual(b.detach().cpu().contiguous().bytes);
    }

    /// <summary>Greedy continuation recomputing the whole sequence at every step (no cache).</summary>
    public static long[] GreedyByRecomputation(CausalLanguageModel model, long[] prompt, int newTokens)
    {
        var sequence = prompt.ToList();
        using var noGrad = no_grad();
        for (int step = 0; step < newTokens; step++)
        {
            using var scope = NewDisposeScope();
            Tensor logits = model.Forward(Ids([.. sequence])); // [1, T, V]
            sequence.Add(logits[0, -1].argmax().item<long>());
        }

        return [.. sequence.Skip(prompt.Length)];
    }
}
