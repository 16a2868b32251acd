using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// The architecture of a Llama or Mistral checkpoint, read from its Hugging Face <c>config.json</c>.
/// </summary>
/// <remarks>
/// Keys this class does not model (<c>initializer_range</c>, <c>use_cache</c>, <c>transformers_version</c>, …) are
/// kept in <see cref="AdditionalProperties"/> and written back unchanged by <see cref="ToJson"/>, so a saved folder has
/// the same keys as the one loaded. Keys that were absent stay absent (the nullable properties).
/// Mistral is Llama plus <see cref="SlidingWindow"/>.
/// </remarks>
public sealed class TransformerConfig
{
    /// <summary>The <c>model_type</c> values this library runs.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral"];

    /// <summary>The <c>architectures</c> entries this library runs.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } = ["LlamaForCausalLM", "MistralForCausalLM"];

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Model classes the checkpoint was saved from, e.g. <c>["MistralForCausalLM"]</c>.</summary>
    [JsonPropertyName("architectures")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Architectures { get; set; }

    /// <summary><c>llama</c> or <c>mistral</c>.</summary>
    [JsonPropertyName("model_type")]
    public string ModelType { get; set; } = "";

    /// <summary>Width of the residual stream.</summary>
    [JsonPropertyName("hidden_size")]
    public int HiddenSize { get; set; }

    /// <summary>Width of the SwiGLU MLP's hidden layer.</summary>
    [JsonPropertyName("intermediate_size")]
    public int IntermediateSize { get; set; }

    /// <summary>Number of decoder layers.</summary>
    [JsonPropertyName("num_hidden_layers")]
    public int NumHiddenLayers { get; set; }

    /// <summary>Number of query heads.</summary>
    [JsonPropertyName("num_attention_heads")]
    public int NumAttentionHeads { get; set; }

    /// <summary>Number of key/value heads (grouped-query attention); absent means equal to the query heads.</summary>
    [JsonPropertyName("num_key_value_heads")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? NumKeyValueHeads { get; set; }

    /// <summary>Width of one attention head; absent means <c>hidden_size / num_attention_heads</c>.</summary>
    [JsonPropertyName("head_dim")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? HeadDim { get; set; }

    /// <summary>The epsilon added to the mean square inside RMSNorm's square root. Default 1e-6.</summary>
    [JsonPropertyName("rms_norm_eps")]
    public double RmsNormEps { get; set; } = 1e-6;

    /// <summary>Base of the rotary embedding frequencies (4.x layout); see <see cref="ResolvedRopeTheta"/>.</summary>
    [JsonPropertyName("rope_theta")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RopeTheta { get; set; }

    /// <summary>Longest sequence the model was trained for; informational (positions are not clipped to it).</summary>
    [JsonPropertyName("max_position_embeddings")]
    public int MaxPositionEmbeddings { get; set; }

    /// <summary>Number of tokens in the vocabulary (rows of the embedding and of the LM head).</summary>
    [JsonPropertyName("vocab_size")]
    public int VocabSize { get; set; }

    /// <summary>Whether the LM head reuses the embedding matrix; absent means <see langword="false"/> (Llama and Mistral default).</summary>
    [JsonPropertyName("tie_word_embeddings")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? TieWordEmbeddings { get; set; }

    /// <summary>Mistral's attention window: a query sees itself and the <c>W - 1</c> keys before it. Null: full causal attention.</summary>
    [JsonPropertyName("sliding_window")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? SlidingWindow { get; set; }

    /// <summary>Whether the q/k/v/o projections have biases; absent means <see langword="false"/>.</summary>
    [JsonPropertyName("attention_bias")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? AttentionBias { get; set; }

    /// <summary>Whether the MLP projections have biases; absent means <see langword="false"/>.</summary>
    [JsonPropertyName("mlp_bias")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? MlpBias { get; set; }

    /// <summary>Dropout on the attention probabilities in training mode. Default 0.</summary>
    [JsonPropertyName("attention_dropout")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? AttentionDropout { get; set; }

    /// <summary>The MLP activation; only <c>silu</c> is supported (SwiGLU).</summary>
    [JsonPropertyName("hidden_act")]
    public string HiddenAct { get; set; } = "silu";

    /// <summary>Standard deviation used by <see cref="CausalLanguageModel.CreateRandom"/>. Default 0.02.</summary>
    [JsonPropertyName("initializer_range")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? InitializerRange { get; set; }

    /// <summary>Beginning-of-sequence token id, when set.</summary>
    [JsonPropertyName("bos_token_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? BosTokenId { get; set; }

    /// <summary>End-of-sequence token id(s), when set (Llama 3 lists several).</summary>
    [JsonPropertyName("eos_token_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(TokenIdListConverter))]
    public IReadOnlyList<int>? EosTokenIds { get; set; }

    /// <summary>Padding token id, when set.</summary>
    [JsonPropertyName("pad_token_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? PadTokenId { get; set; }

    /// <summary>The dtype the weights were saved in (transformers 4.x key), e.g. <c>bfloat16</c>.</summary>
    [JsonPropertyName("torch_dtype")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TorchDType { get; set; }

    /// <summary>The dtype the weights were saved in (newer transformers key).</summary>
    [JsonPropertyName("dtype")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DType { get; set; }

    /// <summary>Every other key of <c>config.json</c>, kept verbatim (including <c>rope_scaling</c> and <c>rope_parameters</c>).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement> AdditionalProperties { get; set; } = new Dictionary<string, JsonElement>();

    /// <summary>The key/value head count in use: <see cref="NumKeyValueHeads"/> or, when absent, the query head count.</summary>
    [JsonIgnore]
    public int ResolvedNumKeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>The head width in use: <see cref="HeadDim"/> or, when absent, <c>hidden_size / num_attention_heads</c>.</summary>
    [JsonIgnore]
    public int ResolvedHeadDim => HeadDim ?? (NumAttentionHeads == 0 ? 0 : HiddenSize / NumAttentionHeads);

    /// <summary>
    /// The RoPE base in use: <c>rope_parameters.rope_theta</c> (newer layout), else <c>rope_theta</c>, else 10000.
    /// </summary>
    [JsonIgnore]
    public double ResolvedRopeTheta
    {
        get
        {
            if (AdditionalProperties.TryGetValue("rope_parameters", out JsonElement parameters)
                && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("rope_theta", out JsonElement theta)
                && theta.ValueKind == JsonValueKind.Number)
            {
                return theta.GetDouble();
            }

            return RopeTheta ?? 10000.0;
        }
    }

    /// <summary>Whether the LM head shares the embedding matrix.</summary>
    [JsonIgnore]
    public bool ResolvedTieWordEmbeddings => TieWordEmbeddings ?? false;

    /// <summary>The sliding window in effect: Mistral's <see cref="SlidingWindow"/>, never for Llama.</summary>
    [JsonIgnore]
    public int? EffectiveSlidingWindow => ModelType == "mistral" ? SlidingWindow : null;

    /// <summary>Reads and checks a <c>config.json</c>.</summary>
    /// <param name="path">Path of the <c>config.json</c> file.</param>
    /// <exception cref="CheckpointException">The file is missing, is not JSON, or describes a model this library does not run.</exception>
    public static TransformerConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"The model configuration '{path}' does not exist.", path);
        }

        TransformerConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<TransformerConfig>(File.ReadAllText(path), SerializerOptions);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"The model configuration '{path}' is not valid JSON for a model config: {e.Message}", path, null, e);
        }

        if (config is null)
        {
            throw new CheckpointException($"The model configuration '{path}' is empty (null).", path);
        }

        config.Validate(path);
        return config;
    }

    /// <summary>Parses and checks <c>config.json</c> text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <exception cref="CheckpointException">The text is not JSON or describes a model this library does not run.</exception>
    public static TransformerConfig Parse(string json, string sourceName = "config.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        TransformerConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<TransformerConfig>(json, SerializerOptions);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"The model configuration '{sourceName}' is not valid JSON for a model config: {e.Message}", sourceName, null, e);
        }

        if (config is null)
        {
            throw new CheckpointException($"The model configuration '{sourceName}' is empty (null).", sourceName);
        }

        config.Validate(sourceName);
        return config;
    }

    /// <summary>
    /// Writes the configuration as Hugging Face does: keys sorted, two-space indentation, unknown keys kept.
    /// </summary>
    /// <param name="savedDType">When given, the dtype the weights are saved in replaces <c>torch_dtype</c> / <c>dtype</c>.</param>
    public string ToJson(ScalarType? savedDType = null)
    {
        JsonObject node = JsonSerializer.SerializeToNode(this, SerializerOptions)!.AsObject();
        if (savedDType is { } dtype)
        {
            string name = Runtime.TorchDevices.DTypeName(dtype);
            bool hasNewKey = node.ContainsKey("dtype");
            if (node.ContainsKey("torch_dtype") || !hasNewKey)
            {
                node["torch_dtype"] = name;
            }

            if (hasNewKey)
            {
                node["dtype"] = name;
            }
        }

        var sorted = new JsonObject();
        foreach (KeyValuePair<string, JsonNode?> pair in node.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
        {
            node.Remove(pair.Key);
            sorted[pair.Key] = pair.Value;
        }

        return sorted.ToJsonString(SerializerOptions) + "\n";
    }

    /// <summary>Checks the configuration describes a model this library can run.</summary>
    /// <param name="sourceName">The file name used in error messages.</param>
    /// <exception cref="CheckpointException">The first problem found, naming the key, its value and the file.</exception>
    public void Validate(string sourceName = "config.json")
    {
        if (!SupportedModelTypes.Contains(ModelType))
        {
            throw new CheckpointException(
                $"model_type '{ModelType}' in '{sourceName}' is not supported; supported: {string.Join(", ", SupportedModelTypes)}.", sourceName);
        }

        if (Architectures is not null)
        {
            string? unsupported = Architectures.FirstOrDefault(a => !SupportedArchitectures.Contains(a));
            if (unsupported is not null)
            {
                throw new CheckpointException(
                    $"Architecture '{unsupported}' in '{sourceName}' is not supported; supported: {string.Join(", ", SupportedArchitectures)}.", sourceName);
            }
        }

        RequirePositive(HiddenSize, "hidden_size", sourceName);
        RequirePositive(IntermediateSize, "intermediate_size", sourceName);
        RequirePositive(NumHiddenLayers, "num_hidden_layers", sourceName);
        RequirePositive(NumAttentionHeads, "num_attention_heads", sourceName);
        RequirePositive(ResolvedNumKeyValueHeads, "num_key_value_heads", sourceName);
        RequirePositive(VocabSize, "vocab_size", sourceName);
        RequirePositive(ResolvedHeadDim, "head_dim", sourceName);
        if (NumAttentionHeads % ResolvedNumKeyValueHeads != 0)
        {
            throw new CheckpointException(
                $"num_attention_heads {NumAttentionHeads} in '{sourceName}' is not a multiple of num_key_value_heads {ResolvedNumKeyValueHeads}.", sourceName);
        }

        if (ResolvedHeadDim % 2 != 0)
        {
            throw new CheckpointException($"head_dim {ResolvedHeadDim} in '{sourceName}' is odd; rotary embeddings need an even head width.", sourceName);
        }

        if (!(RmsNormEps > 0))
        {
            throw new CheckpointException($"rms_norm_eps {RmsNormEps} in '{sourceName}' must be positive.", sourceName);
        }

        if (HiddenAct != "silu")
        {
            throw new CheckpointException($"hidden_act '{HiddenAct}' in '{sourceName}' is not supported; only 'silu' (SwiGLU) is.", sourceName);
        }

        if (SlidingWindow is <= 0)
        {
            throw new CheckpointException($"sliding_window {SlidingWindow} in '{sourceName}' must be positive or null.", sourceName);
        }

        if (AttentionDropout is < 0 or >= 1)
        {
            throw new CheckpointException($"attention_dropout {AttentionDropout} in '{sourceName}' must be in [0, 1).", sourceName);
        }

        CheckRopeType("rope_scaling", sourceName);
        CheckRopeType("rope_parameters", sourceName);
        if (!(ResolvedRopeTheta > 0))
        {
            throw new CheckpointException($"rope_theta {ResolvedRopeTheta} in '{sourceName}' must be positive.", sourceName);
        }
    }

    private void CheckRopeType(string key, string sourceName)
    {
        if (!AdditionalProperties.TryGetValue(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException($"{key} in '{sourceName}' must be an object or null.", sourceName);
        }

        // transformers writes the kind as "rope_type"; configs from before 4.43 wrote "type".
        string? type = value.TryGetProperty("rope_type", out JsonElement t) ? t.GetString()
            : value.TryGetProperty("type", out JsonElement legacy) ? legacy.GetString() : "default";
        if (type != "default")
        {
            throw new CheckpointException(
                $"{key} type '{type}' in '{sourceName}' is not supported; only the default rotary embedding is implemented.", sourceName);
        }
    }

    private static void RequirePositive(int value, string key, string sourceName)
    {
        if (value <= 0)
        {
            throw new CheckpointException($"{key} {value} in '{sourceName}' must be a positive integer.", sourceName);
        }
    }
}
