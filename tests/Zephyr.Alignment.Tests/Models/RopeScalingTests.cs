using System.Text.Json;
using System.Text.Json.Nodes;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>
/// RoPE inverse frequencies, attention scaling and cos/sin of every supported type match Fixtures/model-variants/rope_cases.json
/// (the generator's mirror of transformers' <c>modeling_rope_utils.py</c>), and every other RoPE setting is refused by name.
/// </summary>
public sealed class RopeScalingTests
{
    public static TheoryData<string> CaseNames => new(Cases().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Frequencies_attention_scaling_and_angles_match_the_reference(string name)
    {
        JsonElement entry = Cases().Single(c => c.GetProperty("name").GetString() == name);
        TransformerConfig config = TransformerConfig.Parse(CompleteLlamaConfig(entry.GetProperty("config")).ToJsonString(), name);
        TorchRuntime.EnsureInitialized();
        var rotary = new RotaryEmbedding(config);
        Assert.Equal(entry.GetProperty("resolved_rope_parameters").GetProperty("rope_type").GetString(), config.ResolvedRopeScaling.Type);

        foreach (JsonElement evaluation in entry.GetProperty("evaluations").EnumerateArray())
        {
            long sequenceLength = evaluation.GetProperty("seq_len").GetInt64();
            float[] expected = ModelFixtures.Floats(evaluation.GetProperty("inv_freq"));
            float[] actual = rotary.InverseFrequencies(sequenceLength);
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
            {
                // float32 values in the same order of operations: equal, or one ulp apart where libm differs.
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-7 * Math.Abs(expected[i]), $"{name} L={sequenceLength} inv_freq[{i}]: {actual[i]:R} vs {expected[i]:R}");
            }

            Assert.Equal(evaluation.GetProperty("attention_scaling").GetDouble(), rotary.AttentionScaling, 12);

            // cos/sin of one call at these positions (for dynamic, the largest is seq_len - 1, which picks the frequencies).
            using var scope = NewDisposeScope();
            var (cos, sin) = rotary.Angles(ModelFixtures.Ids(ModelFixtures.Longs(evaluation.GetProperty("positions"))), ScalarType.Float32);
            Assert.True(ModelFixtures.MaxAbsDiff(cos[0], ModelFixtures.Matrix(evaluation.GetProperty("cos"))) < 2e-5, $"{name} L={sequenceLength} cos");
            Assert.True(ModelFixtures.MaxAbsDiff(sin[0], ModelFixtures.Matrix(evaluation.GetProperty("sin"))) < 2e-5, $"{name} L={sequenceLength} sin");
        }
    }

    [Fact]
    public void Llama3_smoothing_interpolates_only_the_medium_band()
    {
        // Llama-3.1-8B: wavelengths under 8192/4 = 2048 are kept, over 8192/1 are divided by 8, between them interpolated.
        JsonElement entry = Cases().Single(c => c.GetProperty("name").GetString() == "llama3-llama-3.1-8b");
        TransformerConfig scaled = TransformerConfig.Parse(CompleteLlamaConfig(entry.GetProperty("config")).ToJsonString());
        JsonObject plainJson = CompleteLlamaConfig(entry.GetProperty("config"));
        plainJson.Remove("rope_scaling");
        TransformerConfig plain = TransformerConfig.Parse(plainJson.ToJsonString());
        TorchRuntime.EnsureInitialized();
        float[] llama3 = new RotaryEmbedding(scaled).InverseFrequencies(1);
        float[] original = new RotaryEmbedding(plain).InverseFrequencies(1);
        int kept = 0, divided = 0, smoothed = 0;
        for (int i = 0; i < original.Length; i++)
        {
            double wavelength = 2 * Math.PI / original[i];
            double ratio = original[i] / llama3[i];
            if (wavelength < 2048)
            {
                Assert.Equal(1.0, ratio, 6);
                kept++;
            }
            else if (wavelength > 8192)
            {
                Assert.Equal(8.0, ratio, 4);
                divided++;
            }
            else
            {
                Assert.InRange(ratio, 1.0 + 1e-6, 8.0 - 1e-6);
                smoothed++;
            }
        }

        Assert.True(kept > 0 && divided > 0 && smoothed > 0, $"kept {kept}, divided {divided}, smoothed {smoothed}");
    }

    [Theory]
    [InlineData("""{"rope_type": "longrope", "short_factor": [1.0], "long_factor": [1.0]}""", "type 'longrope'")]
    [InlineData("""{"rope_type": "su", "factor": 2.0}""", "type 'su'")]
    [InlineData("""{"rope_type": "linear", "factor": 2.0, "low_freq_factor": 1.0}""", "rope_scaling.low_freq_factor")]
    [InlineData("""{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0}""", "'high_freq_factor'")]
    [InlineData("""{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0, "high_freq_factor": 1.0}""", "low_freq_factor < high_freq_factor")]
    [InlineData("""{"rope_type": "dynamic"}""", "'factor'")]
    [InlineData("""{"rope_type": "yarn", "factor": 0.5}""", "factor 0.5")]
    [InlineData("""{"rope_type": "yarn", "factor": "4"}""", "rope_scaling.factor")]
    [InlineData("""{"rope_type": "default", "partial_rotary_factor": 0.5}""", "partial_rotary_factor 0.5")]
    public void Unsupported_rope_settings_are_refused_by_name(string ropeScaling, string expectedFragment)
    {
        JsonObject json = CompleteLlamaConfig(JsonDocument.Parse("""{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "max_position_embeddings": 256}""").RootElement);
        json["rope_scaling"] = JsonNode.Parse(ropeScaling);
        var error = Assert.Throws<CheckpointException>(() => TransformerConfig.Parse(json.ToJsonString(), "/m/config.json"));
        Assert.Contains(expectedFragment, error.Message, StringComparison.Ordinal);
        Assert.Contains("/m/config.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_null_rope_scaling_wins_over_rope_parameters_as_in_transformers_5()
    {
        JsonObject json = CompleteLlamaConfig(JsonDocument.Parse("""{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "max_position_embeddings": 256, "rope_theta": 1000.0}""").RootElement);
        json["rope_scaling"] = JsonNode.Parse("""{"rope_type": "linear", "factor": 2.0}""");
        json["rope_parameters"] = JsonNode.Parse("""{"rope_type": "default", "rope_theta": 500000.0}""");
        TransformerConfig config = TransformerConfig.Parse(json.ToJsonString());
        Assert.Equal("linear", config.ResolvedRopeScaling.Type);
        Assert.Equal("rope_scaling", config.ResolvedRopeScaling.SourceKey);
        Assert.Equal(1000.0, config.ResolvedRopeTheta);
    }

    /// <summary>The case's keys plus the required Llama keys a rope case does not care about.</summary>
    private static JsonObject CompleteLlamaConfig(JsonElement keys)
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["intermediate_size"] = 64,
            ["num_hidden_layers"] = 1,
            ["num_key_value_heads"] = 4,
            ["vocab_size"] = 32,
            ["rms_norm_eps"] = 1e-6,
        };
        foreach (JsonProperty property in keys.EnumerateObject())
        {
            json[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }

        return json;
    }

    private static JsonElement[] Cases()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("model-variants", "rope_cases.json")));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone())];
    }
}
