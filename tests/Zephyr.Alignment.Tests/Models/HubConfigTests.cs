using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>
/// The config.json files of real Hub checkpoints (Fixtures/model-variants/hub-configs) load and build the model those
/// checkpoints hold: full-size models on the <c>meta</c> device (shapes, no memory), checked by parameter names and
/// counts against the published sizes.
/// </summary>
public sealed class HubConfigTests
{
    [Theory]
    [InlineData("TinyLlama-1.1B-Chat-v1.0", 1_100_048_384L)]
    [InlineData("Llama-3.2-1B", 1_235_814_400L)]
    [InlineData("Llama-3.1-8B-Instruct", 8_030_261_248L)]
    [InlineData("Mistral-7B-v0.3", 7_248_023_552L)]
    [InlineData("SmolLM2-135M-Instruct", 134_515_008L)]
    [InlineData("Qwen2.5-0.5B-Instruct", 494_032_768L)]
    public void Published_configs_build_models_of_the_published_size(string name, long parameterCount)
    {
        using CausalLanguageModel model = BuildOnMeta(name);
        Assert.Equal(parameterCount, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Llama_3_2_reads_its_llama3_rope_scaling()
    {
        TransformerConfig config = Load("Llama-3.2-1B");
        RopeScaling rope = config.ResolvedRopeScaling;
        Assert.Equal(("llama3", 32.0, 8192, 1.0, 4.0), (rope.Type, rope.Factor, rope.OriginalMaxPositionEmbeddings, rope.LowFrequencyFactor, rope.HighFrequencyFactor));
        Assert.Equal(500000.0, config.ResolvedRopeTheta);
        Assert.True(config.ResolvedTieWordEmbeddings);
    }

    [Fact]
    public void Mistral_v0_3_has_its_32768_vocabulary_and_no_window()
    {
        using CausalLanguageModel model = BuildOnMeta("Mistral-7B-v0.3");
        Assert.Equal(32768, model.VocabularySize);
        Assert.Equal([32768L, 4096L], Shape(model, "model.embed_tokens.weight"));
        Assert.Equal([32768L, 4096L], Shape(model, "lm_head.weight"));
        Assert.Null(model.Config.EffectiveSlidingWindow);
    }

    [Fact]
    public void Qwen2_5_has_biases_on_q_k_v_only_and_its_sliding_window_stays_off()
    {
        using CausalLanguageModel model = BuildOnMeta("Qwen2.5-0.5B-Instruct");
        string[] biases = [.. Names(model).Where(n => n.EndsWith(".bias", StringComparison.Ordinal))];
        Assert.Equal(24 * 3, biases.Length);
        Assert.Equal([896L], Shape(model, "model.layers.0.self_attn.q_proj.bias"));
        Assert.Equal([128L], Shape(model, "model.layers.0.self_attn.k_proj.bias"));
        Assert.DoesNotContain("model.layers.0.self_attn.o_proj.bias", Names(model));
        Assert.DoesNotContain(Names(model), n => n.Contains("mlp", StringComparison.Ordinal) && n.EndsWith(".bias", StringComparison.Ordinal));

        // use_sliding_window false: no layer slides although sliding_window and max_window_layers are set.
        Assert.All(Enumerable.Range(0, 24), i => Assert.Null(model.Config.SlidingWindowOfLayer(i)));
        Assert.DoesNotContain("lm_head.weight", Names(model));
    }

    [Fact]
    public void Qwen3_has_per_head_query_key_norms_no_biases_and_an_explicit_head_dim()
    {
        using CausalLanguageModel model = BuildOnMeta("Qwen3-0.6B");
        Assert.Equal([128L], Shape(model, "model.layers.27.self_attn.q_norm.weight"));
        Assert.Equal([128L], Shape(model, "model.layers.27.self_attn.k_norm.weight"));
        Assert.Equal([2048L, 1024L], Shape(model, "model.layers.0.self_attn.q_proj.weight")); // 16 heads x 128 != hidden 1024
        Assert.Equal([1024L, 2048L], Shape(model, "model.layers.0.self_attn.o_proj.weight"));
        Assert.DoesNotContain(Names(model), n => n.EndsWith(".bias", StringComparison.Ordinal));
        Assert.Equal(28 * 2, Names(model).Count(n => n.EndsWith("_norm.weight", StringComparison.Ordinal) && n.Contains("self_attn", StringComparison.Ordinal)));
    }

    [Fact]
    public void SmolLM3_has_a_nope_layer_every_fourth_layer_and_ties_by_default()
    {
        using CausalLanguageModel model = BuildOnMeta("SmolLM3-3B");
        TransformerConfig config = model.Config;
        int[] nope = [.. Enumerable.Range(0, 36).Where(i => !config.LayerUsesRope(i))];
        Assert.Equal([3, 7, 11, 15, 19, 23, 27, 31, 35], nope);
        Assert.Null(config.TieWordEmbeddings); // the key is absent: SmolLM3Config's default (true) applies
        Assert.True(config.ResolvedTieWordEmbeddings);
        Assert.DoesNotContain("lm_head.weight", Names(model));
        Assert.Equal(5_000_000.0, config.ResolvedRopeTheta);
    }

    [Fact]
    public void SmolLM3_derives_its_nope_layers_from_the_interval_when_the_list_is_absent()
    {
        TransformerConfig config = Load("SmolLM3-3B");
        config.NoRopeLayers = null;
        config.NoRopeLayerInterval = 3;
        Assert.Equal([2, 5, 8], Enumerable.Range(0, 9).Where(i => !config.LayerUsesRope(i)));
    }

    [Fact]
    public void Qwen_layers_from_max_window_layers_on_slide_when_use_sliding_window_is_set()
    {
        TransformerConfig config = Load("Qwen2.5-0.5B-Instruct");
        config.UseSlidingWindow = true;
        config.SlidingWindow = 4096;
        Assert.All(Enumerable.Range(0, 21), i => Assert.Null(config.SlidingWindowOfLayer(i)));
        Assert.All(Enumerable.Range(21, 3), i => Assert.Equal(4096, config.SlidingWindowOfLayer(i)));
        Assert.Throws<InvalidOperationException>(() => config.EffectiveSlidingWindow);
    }

    [Theory]
    [InlineData("Qwen2.5-0.5B-Instruct", "attention_bias", "true", "not a Qwen2 setting")]
    [InlineData("Qwen3-0.6B", "mlp_bias", "true", "mlp_bias true")]
    [InlineData("SmolLM3-3B", "no_rope_layers", "[1, 0]", "no_rope_layers")]
    [InlineData("Llama-3.2-1B", "no_rope_layers", "[1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]", "SmolLM3 setting")]
    [InlineData("Llama-3.2-1B", "layer_types", "[\"sliding_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\", \"full_attention\"]", "mixes attention kinds")]
    [InlineData("Qwen3-0.6B", "layer_types", "[\"chunked_attention\"]", "layer_types")]
    [InlineData("Mistral-7B-v0.3", "use_sliding_window", "true", "use_sliding_window true")]
    [InlineData("Qwen3-0.6B", "architectures", "[\"Qwen3MoeForCausalLM\"]", "Qwen3MoeForCausalLM")]
    public void Settings_the_model_would_ignore_are_refused(string name, string key, string value, string expectedFragment)
    {
        string path = TestPaths.Fixture("model-variants", "hub-configs", name + ".json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json[key] = System.Text.Json.Nodes.JsonNode.Parse(value);
        var error = Assert.Throws<CheckpointException>(() => TransformerConfig.Parse(json.ToJsonString(), path));
        Assert.Contains(expectedFragment, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static TransformerConfig Load(string name) => TransformerConfig.Load(TestPaths.Fixture("model-variants", "hub-configs", name + ".json"));

    private static CausalLanguageModel BuildOnMeta(string name)
    {
        TorchRuntime.EnsureInitialized();
        return new CausalLanguageModel(Load(name), new ModelPlacement(device("meta"), ScalarType.BFloat16));
    }

    private static string[] Names(CausalLanguageModel model) => [.. model.named_parameters().Select(p => p.name)];

    private static long[] Shape(CausalLanguageModel model, string name) => model.named_parameters().Single(p => p.name == name).parameter.shape;
}
