using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// The architecture of a Llama-family checkpoint (Llama, Mistral, Qwen2, Qwen3, SmolLM3), read from its Hugging Face
/// <c>config.json</c>.
/// </summary>
/// <remarks>
/// Keys this class does not model (<c>initializer_range</c>, <c>use_cache</c>, <c>transformers_version</c>, …) are
/// kept in <see cref="AdditionalProperties"/> and written back unchanged by <see cref="ToJson"/>, so a saved folder has
/// the same keys as the one loaded. Keys that were absent stay absent (the nullable properties).
/// <para>
/// As in transformers' <c>modular_*.py</c> files, every variant is Llama plus options, resolved here and nowhere else:
/// Mistral adds <see cref="SlidingWindow"/> on every layer; Qwen2 adds biases on q/k/v (<see cref="QueryKeyValueBias"/>)
/// and per-layer sliding windows (<see cref="UseSlidingWindow"/>, <see cref="MaxWindowLayers"/>, <see cref="LayerTypes"/>);
/// Qwen3 adds per-head RMSNorm on queries and keys (<see cref="UsesQueryKeyNorm"/>) and an explicit head width;
/// SmolLM3 adds layers without rotary embeddings (<see cref="NoRopeLayers"/>). RoPE scaling (<see cref="ResolvedRopeScaling"/>)
/// applies to all of them.
/// </para>
/// </remarks>
public sealed class TransformerConfig
{
    /// <summary>The <c>model_type</c> values this library runs.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "qwen2", "qwen3", "smollm3"];

    /// <summary>The <c>architectures</c> entries this library runs.</summary>
    public static IReadOnlyList<string> SupportedArchitectures { get; } =
        ["LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "SmolLM3ForCausalLM"];

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Model classes the checkpoint was saved from, e.g. <c>["MistralForCausalLM"]</c>.</summary>
    [JsonPropertyName("architectures")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Architectures { get; set; }

    /// <summary>One of <see cref="SupportedModelTypes"/>: <c>llama</c>, <c>mistral</c>, <c>qwen2</c>, <c>qwen3</c> or <c>smollm3</c>.</summary>
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

    /// <summary>Width of one attention head; absent means <c>hidden_size / num_attention_heads</c> (Qwen3: 128).</summary>
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

    /// <summary>Whether the LM head reuses the embedding matrix; absent means <see langword="false"/> (SmolLM3: <see langword="true"/>).</summary>
    [JsonPropertyName("tie_word_embeddings")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? TieWordEmbeddings { get; set; }

    /// <summary>
    /// The attention window: a query sees itself and the <c>W - 1</c> keys before it. Mistral applies it on every layer;
    /// Qwen2/Qwen3/SmolLM3 only with <see cref="UseSlidingWindow"/> and only on their sliding layers; Llama never. Null: full causal attention.
    /// </summary>
    [JsonPropertyName("sliding_window")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? SlidingWindow { get; set; }

    /// <summary>
    /// Whether the q/k/v/o projections have biases; absent means <see langword="false"/>. Not a Qwen2 key: Qwen2 always has
    /// q/k/v biases and no o_proj bias (<see cref="QueryKeyValueBias"/>, <see cref="OutputBias"/>).
    /// </summary>
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

    /// <summary>Qwen2/Qwen3/SmolLM3: whether <see cref="SlidingWindow"/> is used at all; absent means <see langword="false"/>.</summary>
    [JsonPropertyName("use_sliding_window")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? UseSlidingWindow { get; set; }

    /// <summary>Qwen2/Qwen3: layers from this index on are sliding-window layers (when <see cref="LayerTypes"/> is absent). Default 28.</summary>
    [JsonPropertyName("max_window_layers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxWindowLayers { get; set; }

    /// <summary>
    /// Per-layer attention kind, <c>full_attention</c> or <c>sliding_attention</c> (newer configs write it); absent means
    /// derived as transformers does (Qwen: from <see cref="MaxWindowLayers"/>; SmolLM3: the NoPE layers slide).
    /// </summary>
    [JsonPropertyName("layer_types")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? LayerTypes { get; set; }

    /// <summary>SmolLM3: per layer, 1 to apply rotary embeddings, 0 for a NoPE layer (no position encoding at all).</summary>
    [JsonPropertyName("no_rope_layers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<int>? NoRopeLayers { get; set; }

    /// <summary>SmolLM3: without <see cref="NoRopeLayers"/>, every this-many-th layer is a NoPE layer. Default 4.</summary>
    [JsonPropertyName("no_rope_layer_interval")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? NoRopeLayerInterval { get; set; }

    /// <summary>Every other key of <c>config.json</c>, kept verbatim (including <c>rope_scaling</c> and <c>rope_parameters</c>).</summary>
    [JsonExtensionData]
    public IDictionary<string, JsonElement> AdditionalProperties { get; set; } = new Dictionary<string, JsonElement>();

    /// <summary>The key/value head count in use: <see cref="NumKeyValueHeads"/> or, when absent, the query head count.</summary>
    [JsonIgnore]
    public int ResolvedNumKeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>
    /// The head width in use: <see cref="HeadDim"/> or, when absent, <c>hidden_size / num_attention_heads</c> (Qwen3's
    /// configuration class defaults to 128 instead).
    /// </summary>
    [JsonIgnore]
    public int ResolvedHeadDim => HeadDim ?? (ModelType == "qwen3" ? 128 : NumAttentionHeads == 0 ? 0 : HiddenSize / NumAttentionHeads);

    /// <summary>
    /// The RoPE base in use: <c>rope_theta</c> inside the RoPE object (newer layout, see <see cref="RopeScaling"/>), else the
    /// top-level <c>rope_theta</c>, else the model type's default (10000; SmolLM3 2,000,000).
    /// </summary>
    [JsonIgnore]
    public double ResolvedRopeTheta
    {
        get
        {
            if (RopeObject("config.json").Value is { } rope
                && rope.TryGetProperty("rope_theta", out JsonElement theta)
                && theta.ValueKind == JsonValueKind.Number)
            {
                return theta.GetDouble();
            }

            return RopeTheta ?? (ModelType == "smollm3" ? 2_000_000.0 : 10000.0);
        }
    }

    /// <summary>The RoPE variant and its parameters (<c>default</c> when the config has no <c>rope_scaling</c>/<c>rope_parameters</c>).</summary>
    /// <exception cref="CheckpointException">The RoPE object names an unsupported type or a key the type does not take.</exception>
    [JsonIgnore]
    public RopeScaling ResolvedRopeScaling => RopeScaling.Parse(this, "config.json");

    /// <summary>Whether the LM head shares the embedding matrix: <see cref="TieWordEmbeddings"/>, else the model type's default.</summary>
    [JsonIgnore]
    public bool ResolvedTieWordEmbeddings => TieWordEmbeddings ?? ModelType == "smollm3";

    /// <summary>Whether q_proj, k_proj and v_proj have biases: always for Qwen2, else <see cref="AttentionBias"/>.</summary>
    [JsonIgnore]
    public bool QueryKeyValueBias => ModelType == "qwen2" || (AttentionBias ?? false);

    /// <summary>Whether o_proj has a bias: never for Qwen2, else <see cref="AttentionBias"/>.</summary>
    [JsonIgnore]
    public bool OutputBias => ModelType != "qwen2" && (AttentionBias ?? false);

    /// <summary>Whether queries and keys get a per-head RMSNorm (<c>q_norm</c>, <c>k_norm</c>) before RoPE: Qwen3.</summary>
    [JsonIgnore]
    public bool UsesQueryKeyNorm => ModelType == "qwen3";

    /// <summary>
    /// The sliding window every layer shares, or null when no layer has one. Throws when the layers differ (a Qwen config
    /// with <see cref="MaxWindowLayers"/> inside the stack); use <see cref="SlidingWindowOfLayer"/> then.
    /// </summary>
    /// <exception cref="InvalidOperationException">Some layers slide and others do not.</exception>
    [JsonIgnore]
    public int? EffectiveSlidingWindow
    {
        get
        {
            int?[] windows = [.. Enumerable.Range(0, NumHiddenLayers).Select(SlidingWindowOfLayer).Distinct()];
            return windows.Length switch
            {
                0 => null,
                1 => windows[0],
                _ => throw new InvalidOperationException("The layers of this model have different sliding windows; use SlidingWindowOfLayer."),
            };
        }
    }

    /// <summary>
    /// The attention window of decoder layer <paramref name="layer"/>, as transformers resolves it: Mistral's
    /// <see cref="SlidingWindow"/> on every layer; for Qwen2/Qwen3/SmolLM3 the window only when <see cref="UseSlidingWindow"/> is
    /// set and the layer is a <c>sliding_attention</c> layer; never for Llama.
    /// </summary>
    /// <param name="layer">Zero-based layer index.</param>
    public int? SlidingWindowOfLayer(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, NumHiddenLayers);
        return ModelType switch
        {
            "mistral" => SlidingWindow,
            "qwen2" or "qwen3" or "smollm3" => LayerTypeOf(layer) == SlidingAttention && (UseSlidingWindow ?? false) ? SlidingWindow : null,
            _ => null,
        };
    }

    /// <summary>Whether decoder layer <paramref name="layer"/> applies rotary embeddings: false only for SmolLM3's NoPE layers.</summary>
    /// <param name="layer">Zero-based layer index.</param>
    public bool LayerUsesRope(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, NumHiddenLayers);
        if (ModelType != "smollm3")
        {
            return true;
        }

        // transformers' SmolLM3Config: no_rope_layers[i] = int((i + 1) % interval != 0) when the list is absent.
        return NoRopeLayers is { } flags ? flags[layer] != 0 : (layer + 1) % (NoRopeLayerInterval ?? 4) != 0;
    }

    private readonly HashSet<string> explicitNulls = new(StringComparer.Ordinal);

    private const string FullAttention = "full_attention";
    private const string SlidingAttention = "sliding_attention";

    /// <summary>The attention kind of a layer: <see cref="LayerTypes"/>, else derived as the model type's config class does.</summary>
    private string LayerTypeOf(int layer)
    {
        if (LayerTypes is { } types)
        {
            return types[layer];
        }

        return ModelType switch
        {
            // Qwen2Config / Qwen3Config: sliding_window is dropped unless use_sliding_window, then layers >= max_window_layers slide.
            "qwen2" or "qwen3" => (UseSlidingWindow ?? false) && SlidingWindow is not null && layer >= (MaxWindowLayers ?? 28) ? SlidingAttention : FullAttention,

            // SmolLM3Config: the NoPE layers slide when a window is configured.
            "smollm3" => (UseSlidingWindow ?? false) && SlidingWindow is not null && !LayerUsesRope(layer) ? SlidingAttention : FullAttention,
            "mistral" => SlidingWindow is null ? FullAttention : SlidingAttention,
            _ => FullAttention,
        };
    }

    /// <summary>
    /// The RoPE object in effect and its key: a non-empty <c>rope_scaling</c> wins over <c>rope_parameters</c>, as in
    /// transformers 5's <c>convert_rope_params_to_dict</c>; (null, null) when neither is set.
    /// </summary>
    internal (string? Key, JsonElement? Value) RopeObject(string sourceName)
    {
        foreach (string key in (string[])["rope_scaling", "rope_parameters"])
        {
            if (!AdditionalProperties.TryGetValue(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"{key} in '{sourceName}' must be an object or null.", sourceName);
            }

            if (value.EnumerateObject().Any())
            {
                return (key, value);
            }
        }

        return (null, null);
    }

    /// <summary>A top-level <c>original_max_position_embeddings</c> (Phi-3 layout), which transformers 5 prefers for RoPE.</summary>
    internal int? TopLevelOriginalMaxPositionEmbeddings(string sourceName)
    {
        if (!AdditionalProperties.TryGetValue("original_max_position_embeddings", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)
            ? result
            : throw new CheckpointException($"original_max_position_embeddings in '{sourceName}' must be an integer.", sourceName);
    }

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
            string text = File.ReadAllText(path);
            config = JsonSerializer.Deserialize<TransformerConfig>(text, SerializerOptions);
            config?.RememberExplicitNulls(text);
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
            config?.RememberExplicitNulls(json);
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
        foreach (string key in explicitNulls.Where(k => !node.ContainsKey(k)))
        {
            // Written as null again (transformers writes "sliding_window": null), not dropped like an absent key.
            node[key] = null;
        }

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

        _ = RopeScaling.Parse(this, sourceName);
        ValidateVariantOptions(sourceName);
        if (!(ResolvedRopeTheta > 0))
        {
            throw new CheckpointException($"rope_theta {ResolvedRopeTheta} in '{sourceName}' must be positive.", sourceName);
        }
    }

    /// <summary>Records the typed keys the file sets to null, so that <see cref="ToJson"/> writes them back.</summary>
    private void RememberExplicitNulls(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null && !AdditionalProperties.ContainsKey(property.Name))
            {
                explicitNulls.Add(property.Name);
            }
        }
    }

    private void ValidateVariantOptions(string sourceName)
    {
        if (ModelType == "qwen2" && AttentionBias is not null)
        {
            throw new CheckpointException(
                $"attention_bias {(AttentionBias.Value ? "true" : "false")} in '{sourceName}' is not a Qwen2 setting: Qwen2 always has q/k/v biases and no o_proj bias. Remove the key.", sourceName);
        }

        if (ModelType is "qwen2" or "qwen3" && MlpBias is true)
        {
            throw new CheckpointException($"mlp_bias true in '{sourceName}' is not supported by {ModelType}: its MLP has no biases.", sourceName);
        }

        if (ModelType == "smollm3")
        {
            if (NoRopeLayers is { } flags && (flags.Count < NumHiddenLayers || flags.Any(f => f is not (0 or 1))))
            {
                throw new CheckpointException(
                    $"no_rope_layers in '{sourceName}' must list 0 or 1 for each of the {NumHiddenLayers} layers; got [{string.Join(", ", flags)}].", sourceName);
            }

            if (NoRopeLayerInterval is <= 0)
            {
                throw new CheckpointException($"no_rope_layer_interval {NoRopeLayerInterval} in '{sourceName}' must be positive.", sourceName);
            }
        }
        else if (NoRopeLayers is { } flags && flags.Any(f => f == 0))
        {
            throw new CheckpointException($"no_rope_layers in '{sourceName}' is a SmolLM3 setting; model_type '{ModelType}' applies rotary embeddings on every layer.", sourceName);
        }

        if (ModelType is "llama" or "mistral" && UseSlidingWindow is true)
        {
            throw new CheckpointException(
                $"use_sliding_window true in '{sourceName}' is not a setting of model_type '{ModelType}' (Llama has no window; Mistral applies sliding_window on every layer).",
                sourceName);
        }

        if (LayerTypes is { } types)
        {
            if (types.Count != NumHiddenLayers || types.Any(t => t is not (FullAttention or SlidingAttention)))
            {
                throw new CheckpointException(
                    $"layer_types in '{sourceName}' must list 'full_attention' or 'sliding_attention' for each of the {NumHiddenLayers} layers; got [{string.Join(", ", types)}].",
                    sourceName);
            }

            // Llama and Mistral ignore layer_types in transformers; accept it only where it says what they do anyway.
            if (ModelType is "llama" or "mistral")
            {
                string expected = ModelType == "mistral" && SlidingWindow is not null ? SlidingAttention : FullAttention;
                if (types.Any(t => t != expected))
                {
                    throw new CheckpointException(
                        $"layer_types in '{sourceName}' mixes attention kinds, which model_type '{ModelType}' does not support (every layer is '{expected}').", sourceName);
                }
            }
        }

        if (ModelType is "qwen2" or "qwen3" or "smollm3" && (UseSlidingWindow ?? false) && SlidingWindow is null
            && Enumerable.Range(0, NumHiddenLayers).Any(i => LayerTypeOf(i) == SlidingAttention))
        {
            throw new CheckpointException($"use_sliding_window is true in '{sourceName}' but sliding_window is null.", sourceName);
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
