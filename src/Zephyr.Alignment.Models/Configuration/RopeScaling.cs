using System.Text.Json;

namespace Zephyr.Alignment.Models;

/// <summary>
/// The RoPE variant of a checkpoint, read from <c>config.json</c>'s <c>rope_scaling</c> (transformers 4.x) or
/// <c>rope_parameters</c> (transformers 5) object, as transformers' <c>modeling_rope_utils.py</c> standardizes it.
/// </summary>
/// <remarks>
/// <para>
/// Types: <c>default</c>, <c>linear</c> (position interpolation), <c>dynamic</c> (dynamic NTK), <c>yarn</c> (Peng et al. 2023)
/// and <c>llama3</c> (Llama 3.1's banded interpolation). Any other type (<c>longrope</c>, <c>proportional</c>, …), a
/// key the type does not take, or a <c>partial_rotary_factor</c> other than 1 is refused when the config is read.
/// </para>
/// <para>
/// As in transformers 5, a non-null <c>rope_scaling</c> wins over <c>rope_parameters</c>; <c>rope_theta</c> inside
/// the chosen object wins over the top-level key; <c>original_max_position_embeddings</c> at the top level of the
/// config wins over the one in the object, which defaults to <c>max_position_embeddings</c>.
/// </para>
/// </remarks>
public sealed class RopeScaling
{
    /// <summary>The supported values of <c>rope_type</c>.</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } = ["default", "linear", "dynamic", "yarn", "llama3"];

    private static readonly Dictionary<string, string[]> OptionalKeysByType = new()
    {
        ["default"] = [],
        ["linear"] = ["factor"],
        ["dynamic"] = ["factor"],
        ["yarn"] = ["factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow", "mscale", "mscale_all_dim", "truncate"],
        ["llama3"] = ["factor", "original_max_position_embeddings", "low_freq_factor", "high_freq_factor"],
    };

    private static readonly Dictionary<string, string[]> RequiredKeysByType = new()
    {
        ["default"] = [],
        ["linear"] = ["factor"],
        ["dynamic"] = ["factor"],
        ["yarn"] = ["factor"],
        ["llama3"] = ["factor", "low_freq_factor", "high_freq_factor"],
    };

    private static readonly string[] CommonKeys = ["rope_type", "type", "rope_theta", "partial_rotary_factor"];

    private RopeScaling(string type)
    {
        Type = type;
    }

    /// <summary>The variant: <c>default</c>, <c>linear</c>, <c>dynamic</c>, <c>yarn</c> or <c>llama3</c>.</summary>
    public string Type { get; }

    /// <summary>The key it came from: <c>rope_scaling</c>, <c>rope_parameters</c>, or null when neither is set.</summary>
    public string? SourceKey { get; private init; }

    /// <summary><c>factor</c>: how many times longer a context the scaled model covers. 1 for <c>default</c>.</summary>
    public double Factor { get; private init; } = 1.0;

    /// <summary><c>original_max_position_embeddings</c>: the pre-training context length (<c>yarn</c>, <c>llama3</c>).</summary>
    public int OriginalMaxPositionEmbeddings { get; private init; }

    /// <summary><c>low_freq_factor</c> (<c>llama3</c>; 1 in Llama 3.1): wavelengths above <c>original / low</c> are divided by the factor.</summary>
    public double LowFrequencyFactor { get; private init; }

    /// <summary><c>high_freq_factor</c> (<c>llama3</c>; 4 in Llama 3.1): wavelengths below <c>original / high</c> are kept.</summary>
    public double HighFrequencyFactor { get; private init; }

    /// <summary><c>attention_factor</c> (<c>yarn</c>): multiplies cos and sin; null means derived from the factor and mscale.</summary>
    public double? AttentionFactor { get; private init; }

    /// <summary><c>beta_fast</c> (<c>yarn</c>): the rotation count bounding pure extrapolation; absent, null or 0 means 32.</summary>
    public double BetaFast { get; private init; } = 32;

    /// <summary><c>beta_slow</c> (<c>yarn</c>): the rotation count bounding pure interpolation; absent, null or 0 means 1.</summary>
    public double BetaSlow { get; private init; } = 1;

    /// <summary><c>mscale</c> (<c>yarn</c>, DeepSeek style): numerator scale of the derived attention factor.</summary>
    public double? MScale { get; private init; }

    /// <summary><c>mscale_all_dim</c> (<c>yarn</c>, DeepSeek style): denominator scale of the derived attention factor.</summary>
    public double? MScaleAllDim { get; private init; }

    /// <summary><c>truncate</c> (<c>yarn</c>, default true): whether the correction range is rounded to whole dimensions.</summary>
    public bool Truncate { get; private init; } = true;

    /// <summary>
    /// The factor cos and sin are multiplied by (transformers' <c>attention_scaling</c>): 1 except for <c>yarn</c>, where it
    /// is <c>attention_factor</c> or, when absent, <c>0.1·ln(factor) + 1</c> (or the ratio of the two mscale forms).
    /// </summary>
    public double AttentionScaling
    {
        get
        {
            if (Type != "yarn")
            {
                return 1.0;
            }

            if (AttentionFactor is { } explicitFactor)
            {
                return explicitFactor;
            }

            // transformers tests `mscale and mscale_all_dim`: both present and nonzero.
            if (MScale is { } m && m != 0 && MScaleAllDim is { } all && all != 0)
            {
                return YarnMScale(Factor, m) / YarnMScale(Factor, all);
            }

            return YarnMScale(Factor, 1.0);
        }
    }

    /// <summary>The default rotary embedding.</summary>
    internal static RopeScaling Default { get; } = new("default");

    private static double YarnMScale(double scale, double mscale) => scale <= 1 ? 1.0 : (0.1 * mscale * Math.Log(scale)) + 1.0;

    /// <summary>Reads the RoPE object of a configuration; throws for anything this library would have to ignore.</summary>
    internal static RopeScaling Parse(TransformerConfig config, string sourceName)
    {
        (string? key, JsonElement? value) = config.RopeObject(sourceName);
        if (key is null || value is not { } element)
        {
            return Default;
        }

        string? type = ReadString(element, "rope_type", key, sourceName) ?? ReadString(element, "type", key, sourceName) ?? "default";
        if (!SupportedTypes.Contains(type))
        {
            throw new CheckpointException(
                $"{key} type '{type}' in '{sourceName}' is not supported; supported: {string.Join(", ", SupportedTypes)}.", sourceName);
        }

        string[] allowed = [.. CommonKeys, .. OptionalKeysByType[type]];
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (!allowed.Contains(property.Name))
            {
                throw new CheckpointException(
                    $"{key}.{property.Name} in '{sourceName}' is not a setting of rope type '{type}' (it takes: {string.Join(", ", allowed)}); " +
                    "remove it or fix the type, it would be ignored.", sourceName);
            }
        }

        foreach (string required in RequiredKeysByType[type])
        {
            if (ReadNumber(element, required, key, sourceName) is null)
            {
                throw new CheckpointException($"{key} of type '{type}' in '{sourceName}' is missing the required key '{required}'.", sourceName);
            }
        }

        double partial = ReadNumber(element, "partial_rotary_factor", key, sourceName) ?? 1.0;
        if (partial != 1.0)
        {
            throw new CheckpointException(
                $"{key}.partial_rotary_factor {partial} in '{sourceName}' is not supported; only full-width rotary embeddings (1.0) are implemented.", sourceName);
        }

        // transformers 5 standardization: the top-level key wins (Phi-3's layout), else the object's, else max_position_embeddings.
        int original = config.TopLevelOriginalMaxPositionEmbeddings(sourceName)
            ?? (int?)ReadNumber(element, "original_max_position_embeddings", key, sourceName)
            ?? config.MaxPositionEmbeddings;

        var scaling = new RopeScaling(type)
        {
            SourceKey = key,
            Factor = ReadNumber(element, "factor", key, sourceName) ?? 1.0,
            OriginalMaxPositionEmbeddings = original,
            LowFrequencyFactor = ReadNumber(element, "low_freq_factor", key, sourceName) ?? 0,
            HighFrequencyFactor = ReadNumber(element, "high_freq_factor", key, sourceName) ?? 0,
            AttentionFactor = ReadNumber(element, "attention_factor", key, sourceName),
            BetaFast = NonZeroOr(ReadNumber(element, "beta_fast", key, sourceName), 32),
            BetaSlow = NonZeroOr(ReadNumber(element, "beta_slow", key, sourceName), 1),
            MScale = ReadNumber(element, "mscale", key, sourceName),
            MScaleAllDim = ReadNumber(element, "mscale_all_dim", key, sourceName),
            Truncate = ReadBool(element, "truncate", key, sourceName) ?? true,
        };
        scaling.Check(key, sourceName);
        return scaling;
    }

    private static double NonZeroOr(double? value, double fallback) => value is { } v && v != 0 ? v : fallback;

    private void Check(string key, string sourceName)
    {
        if (Type == "default")
        {
            return;
        }

        if (!(Factor >= 1.0))
        {
            throw new CheckpointException($"{key}.factor {Factor} in '{sourceName}' must be a number >= 1.", sourceName);
        }

        if (Type is "yarn" or "llama3" && OriginalMaxPositionEmbeddings <= 0)
        {
            throw new CheckpointException(
                $"{key}.original_max_position_embeddings {OriginalMaxPositionEmbeddings} in '{sourceName}' must be a positive integer.", sourceName);
        }

        if (Type == "llama3" && !(HighFrequencyFactor > LowFrequencyFactor && LowFrequencyFactor > 0))
        {
            throw new CheckpointException(
                $"{key} in '{sourceName}' needs 0 < low_freq_factor < high_freq_factor; got low_freq_factor {LowFrequencyFactor}, high_freq_factor {HighFrequencyFactor}.",
                sourceName);
        }

        if (Type == "yarn" && AttentionFactor is < 0)
        {
            throw new CheckpointException($"{key}.attention_factor {AttentionFactor} in '{sourceName}' must not be negative.", sourceName);
        }
    }

    private static string? ReadString(JsonElement element, string name, string key, string sourceName)
        => Read(element, name, key, sourceName, "a string", v => v.ValueKind == JsonValueKind.String ? v.GetString() : null);

    private static double? ReadNumber(JsonElement element, string name, string key, string sourceName)
        => Read(element, name, key, sourceName, "a number", v => v.ValueKind == JsonValueKind.Number ? v.GetDouble() : (double?)null);

    private static bool? ReadBool(JsonElement element, string name, string key, string sourceName)
        => Read(element, name, key, sourceName, "true or false", v => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : (bool?)null);

    /// <summary>The value of <paramref name="name"/>: null when absent or null, else <paramref name="convert"/>'s result, which is null for a wrong kind.</summary>
    private static T? Read<T>(JsonElement element, string name, string key, string sourceName, string expected, Func<JsonElement, T?> convert)
    {
        if (!element.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return default;
        }

        return convert(value) ?? throw new CheckpointException($"{key}.{name} in '{sourceName}' must be {expected}; got {value.ValueKind}.", sourceName);
    }
}
