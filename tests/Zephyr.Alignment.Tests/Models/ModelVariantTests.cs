using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using Xunit.Abstractions;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>
/// Each variant fixture (Fixtures/model-variants) catches the deliberately wrong model its feature guards against: the
/// wrong variant is built here from the same weights by a config edit or a weight edit, and must land far from the
/// reference logits, by the amount make_model_variants.py recorded for the same mistake (<c>sanity_wrong_variants</c>).
/// </summary>
public sealed class ModelVariantTests(ITestOutputHelper output)
{
    private const double Far = 1e-2;

    [Fact]
    public void Llama3_rope_without_its_smoothed_band_is_far_from_the_reference()
    {
        // high_freq_factor just above low_freq_factor empties the smoothed band: a hard cut at original / low_freq_factor.
        AssertWrongVariant("tiny-llama3-rope", "llama3_no_smoothing", config => config["rope_scaling"]!["high_freq_factor"] = 1.0001);
    }

    [Fact]
    public void Llama3_rope_read_as_plain_rope_is_far_from_the_reference()
        => AssertWrongVariant("tiny-llama3-rope", "rope_default", config => config.Remove("rope_scaling"));

    [Fact]
    public void Llama3_rope_read_as_linear_scaling_is_far_from_the_reference()
        => AssertWrongVariant("tiny-llama3-rope", "rope_linear", config => config["rope_scaling"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 4.0 });

    [Fact]
    public void Yarn_without_its_attention_factor_is_far_from_the_reference()
        => AssertWrongVariant("tiny-llama-yarn", "yarn_no_attention_factor", config => config["rope_parameters"]!["attention_factor"] = 1.0);

    [Fact]
    public void Yarn_read_as_linear_scaling_is_far_from_the_reference()
        => AssertWrongVariant("tiny-llama-yarn", "rope_linear", config => config["rope_parameters"] = new JsonObject
        {
            ["rope_type"] = "linear", ["factor"] = 4.0, ["rope_theta"] = 10000.0,
        });

    [Fact]
    public void Qwen2_without_its_biases_is_far_from_the_reference()
    {
        using var model = ModelFixtures.Load("tiny-qwen2");
        using (no_grad())
        {
            string[] biases = [.. model.named_parameters().Select(p => p.name).Where(n => n.EndsWith(".bias", StringComparison.Ordinal))];
            Assert.Equal(6, biases.Length); // q/k/v on two layers, no o_proj bias
            Assert.All(biases, name => Assert.DoesNotContain("o_proj", name, StringComparison.Ordinal));
            foreach (var (_, parameter) in model.named_parameters().Where(p => p.name.EndsWith(".bias", StringComparison.Ordinal)))
            {
                parameter.zero_();
            }
        }

        AssertFar("tiny-qwen2", "no_qkv_bias", model);
    }

    [Fact]
    public void Qwen2_with_the_sliding_window_ignored_is_far_from_the_reference()
        => AssertWrongVariant("tiny-qwen2", "no_sliding_window", config => config["use_sliding_window"] = false);

    [Fact]
    public void Qwen2_with_the_sliding_window_on_every_layer_is_far_from_the_reference()
        => AssertWrongVariant("tiny-qwen2", "sliding_window_every_layer", config => config["max_window_layers"] = 0);

    [Fact]
    public void Qwen3_without_its_query_key_norm_is_far_from_the_reference()
    {
        // Qwen3 minus q_norm/k_norm is Llama with the same weights (transformers' modular_qwen3.py: LlamaAttention + the norms).
        using var qwen = ModelFixtures.Load("tiny-qwen3");
        JsonObject json = ReadConfig("tiny-qwen3");
        json["model_type"] = "llama";
        json["architectures"] = new JsonArray("LlamaForCausalLM");
        using var llama = CausalLanguageModel.CreateRandom(TransformerConfig.Parse(json.ToJsonString()));
        var qwenParameters = qwen.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            foreach (var (name, parameter) in llama.named_parameters())
            {
                parameter.copy_(qwenParameters[name]);
            }
        }

        Assert.Equal(4, qwenParameters.Keys.Count(n => n.Contains("_norm.", StringComparison.Ordinal) && n.Contains("self_attn", StringComparison.Ordinal)));
        llama.eval();
        AssertFar("tiny-qwen3", "no_qk_norm", llama);
    }

    [Fact]
    public void SmolLM3_with_rope_on_its_nope_layer_is_far_from_the_reference()
        => AssertWrongVariant("tiny-smollm3", "rope_every_layer", config => config["no_rope_layers"] = new JsonArray(1, 1, 1, 1));

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void Decoding_with_the_cache_matches_the_full_forward(string fixture)
    {
        // Prefill 10 tokens, then one token at a time: NoPE layers, per-layer windows (6 < 24), yarn's scaled cos/sin
        // and q/k norms all have to hold for keys that come from the cache.
        long[] ids = ModelFixtures.Longs(ModelFixtures.Expected(fixture).GetProperty("single").GetProperty("input_ids"));
        using var model = ModelFixtures.Load(fixture);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor full = model.Forward(ModelFixtures.Ids(ids)); // [1, T, V]
        using KeyValueCache cache = model.CreateCache();
        var pieces = new List<Tensor> { model.Forward(ModelFixtures.Ids(ids[..10]), null, null, cache) };
        for (int t = 10; t < ids.Length; t++)
        {
            pieces.Add(model.Forward(ModelFixtures.Ids(new long[] { ids[t] }), null, null, cache));
        }

        double diff = ModelFixtures.MaxAbsDiff(cat(pieces, 1), full);
        output.WriteLine($"{fixture}: cached vs full max abs diff {diff:E2}");
        Assert.True(diff < 1e-4, $"max abs diff {diff}");
    }

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void Saving_keeps_the_architecture_keys_and_the_logits(string fixture)
    {
        using var scratch = new CheckpointScratch();
        long[] ids = ModelFixtures.Longs(ModelFixtures.Expected(fixture).GetProperty("single").GetProperty("input_ids"));
        using var model = ModelFixtures.Load(fixture);
        string saved = scratch.PathOf("saved");
        model.Save(saved);

        JsonObject original = ReadConfig(fixture);
        JsonObject written = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!.AsObject();
        Assert.Equal(original.Select(p => p.Key).Order(StringComparer.Ordinal), written.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (string key in (string[])["model_type", "architectures", "rope_scaling", "rope_parameters", "no_rope_layers", "use_sliding_window", "max_window_layers", "head_dim", "tie_word_embeddings"])
        {
            Assert.True(JsonNode.DeepEquals(original[key], written[key]), $"{key}: {original[key]?.ToJsonString()} became {written[key]?.ToJsonString()}");
        }

        using var reloaded = PretrainedModel.Load(saved);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Assert.True(ModelFixtures.BitEqual(model.Forward(ModelFixtures.Ids(ids)), reloaded.Forward(ModelFixtures.Ids(ids))));
    }

    [Theory]
    [MemberData(nameof(VariantNames))]
    public void Backward_reaches_every_parameter_of_the_variant(string fixture)
    {
        // Biases, q_norm/k_norm and the NoPE layer's projections all take part in the loss.
        using var model = ModelFixtures.Load(fixture);
        model.SetTrainingMode(true);
        using var scope = NewDisposeScope();
        Tensor ids = ModelFixtures.Ids([1, 200, 62, 154, 74, 204, 61, 167, 95, 68, 198, 17], [1, 112, 149, 215, 70, 0, 0, 0, 0, 0, 0, 0]);
        Tensor mask = ModelFixtures.Ids([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
        Tensor logits = model.Forward(ids, mask); // [B, T, V]
        nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, model.VocabularySize), ids[.., 1..].reshape(-1)).backward();

        var parameters = model.NamedTrainableParameters().ToList();
        Assert.Equal(ModelFixtures.Expected(fixture).GetProperty("resolved").GetProperty("qk_norm").GetBoolean(),
            parameters.Any(p => p.Name.EndsWith("self_attn.q_norm.weight", StringComparison.Ordinal)));
        Assert.All(parameters, p => Assert.True(p.Parameter.grad is { } grad && grad.abs().sum().item<float>() > 0, $"{p.Name} got no gradient"));
    }

    public static TheoryData<string> VariantNames => new(ModelFixtures.Variants);

    private void AssertWrongVariant(string fixture, string variant, Action<JsonObject> editConfig)
    {
        JsonObject json = ReadConfig(fixture);
        editConfig(json);
        TorchRuntime.EnsureInitialized();
        using var model = new CausalLanguageModel(TransformerConfig.Parse(json.ToJsonString()), new ModelLoadOptions().ToPlacement());
        PretrainedModel.ReloadWeights(model, ModelFixtures.PathOf(fixture));
        model.eval();
        AssertFar(fixture, variant, model);
    }

    private void AssertFar(string fixture, string variant, CausalLanguageModel wrongModel)
    {
        JsonElement expected = ModelFixtures.Expected(fixture);
        JsonElement single = expected.GetProperty("single");
        double recorded = expected.GetProperty("sanity_wrong_variants").GetProperty(variant).GetProperty("max_abs_logit_diff_on_single").GetDouble();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor logits = wrongModel.Forward(ModelFixtures.Ids(ModelFixtures.Longs(single.GetProperty("input_ids"))));
        double diff = ModelFixtures.MaxAbsDiff(logits[0], ModelFixtures.Matrix(single.GetProperty("logits")));
        output.WriteLine($"{fixture} / {variant}: max abs diff from the reference {diff:F4} (recorded by the generator: {recorded:F4})");
        Assert.True(diff > Far, $"the wrong variant is only {diff} away from the reference");

        // The same mistake as the generator's: the distance it recorded, up to float32 noise.
        Assert.True(Math.Abs(diff - recorded) < 1e-3, $"distance {diff} differs from the recorded {recorded}");
    }

    private static JsonObject ReadConfig(string fixture)
        => JsonNode.Parse(File.ReadAllText(Path.Combine(ModelFixtures.PathOf(fixture), "config.json")))!.AsObject();
}
