using System.Globalization;
using System.Text;
using System.Text.Json;
using Zephyr.Alignment.Lora;

namespace Zephyr.Alignment.Models;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for a LoRA adapter: written as <c>PeftConfigMixin.save_pretrained</c> writes it
/// (keys sorted, two-space indent, <c>inference_mode</c> true), read with PEFT's defaults for missing keys.
/// </summary>
/// <remarks>
/// PEFT tolerates unknown keys and fills missing ones with defaults, so only keys with a meaning here are written.
/// On reading, a key that asks for a feature not implemented here (DoRA, rank patterns, <c>modules_to_save</c>, …) with
/// a non-default value is an error, never silently dropped.
/// </remarks>
internal static class PeftAdapterConfig
{
    /// <summary>Keys whose non-default values select PEFT features this library does not implement.</summary>
    private static readonly string[] UnsupportedUnlessDefault =
    [
        "alpha_pattern", "rank_pattern", "modules_to_save", "layers_to_transform", "layers_pattern", "exclude_modules",
        "use_dora", "lora_bias", "use_qalora", "layer_replication", "target_parameters", "trainable_token_indices",
        "alora_invocation_tokens", "megatron_config", "use_bdlora", "arrow_config", "kasa_config", "velora_config",
        "monteclora_config",
    ];

    public static void Write(string path, LoraConfig config, IReadOnlyList<string> targetModules)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            // Alphabetical, as json.dumps(sort_keys=True).
            json.WriteStartObject();
            json.WriteStartObject("alpha_pattern");
            json.WriteEndObject();
            json.WriteNull("auto_mapping");
            WriteStringOrNull(json, "base_model_name_or_path", config.BaseModelNameOrPath);
            json.WriteString("bias", config.Bias);
            json.WriteBoolean("fan_in_fan_out", false);
            json.WriteBoolean("inference_mode", true);
            json.WriteBoolean("init_lora_weights", true);
            json.WriteNull("layers_pattern");
            json.WriteNull("layers_to_transform");
            json.WritePropertyName("lora_alpha");
            WriteNumber(json, config.LoraAlpha, integerWhenWhole: true);
            json.WriteBoolean("lora_bias", false);
            json.WritePropertyName("lora_dropout");
            WriteNumber(json, config.LoraDropout, integerWhenWhole: false);
            json.WriteNull("modules_to_save");
            json.WriteString("peft_type", "LORA");
            json.WriteNumber("r", config.R);
            json.WriteStartObject("rank_pattern");
            json.WriteEndObject();
            json.WriteNull("revision");
            if (config.TargetModulesRegex is { } regex)
            {
                json.WriteString("target_modules", regex);
            }
            else
            {
                json.WriteStartArray("target_modules");
                foreach (string name in targetModules.Order(StringComparer.Ordinal))
                {
                    json.WriteStringValue(name);
                }

                json.WriteEndArray();
            }

            json.WriteString("task_type", "CAUSAL_LM");
            json.WriteBoolean("use_dora", false);
            json.WriteBoolean("use_rslora", config.UseRslora);
            json.WriteEndObject();
        }

        File.WriteAllBytes(path, buffer.ToArray());
    }

    public static LoraConfig Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException($"The adapter folder has no {LoraModel.AdapterConfigFileName}: '{path}' does not exist.", path);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"'{path}' is not valid JSON (line {e.LineNumber + 1}): {e.Message}", path, innerException: e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"'{path}' must hold a JSON object.", path);
            }

            string? peftType = String(root, "peft_type", path);
            if (!string.Equals(peftType, "LORA", StringComparison.Ordinal))
            {
                throw new CheckpointException($"'{path}' describes a {peftType ?? "(no peft_type)"} adapter; only LORA adapters are supported.", path);
            }

            string? taskType = String(root, "task_type", path);
            if (taskType is not null and not "CAUSAL_LM")
            {
                throw new CheckpointException($"'{path}': task_type is '{taskType}'; a causal language model needs CAUSAL_LM.", path);
            }

            if (root.TryGetProperty("fan_in_fan_out", out JsonElement fanIn) && fanIn.ValueKind == JsonValueKind.True)
            {
                throw new CheckpointException($"'{path}': fan_in_fan_out is true (GPT-2 Conv1D weights); Llama-family linear layers need false.", path);
            }

            foreach (string key in UnsupportedUnlessDefault)
            {
                if (root.TryGetProperty(key, out JsonElement value) && !IsDefault(value))
                {
                    throw new CheckpointException($"'{path}': {key} = {value.GetRawText()} asks for a PEFT feature this library does not implement.", path);
                }
            }

            IReadOnlyList<string>? targets = null;
            string? targetRegex = null;
            if (root.TryGetProperty("target_modules", out JsonElement target))
            {
                switch (target.ValueKind)
                {
                    case JsonValueKind.Array:
                        targets = [.. target.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                            ? e.GetString()!
                            : throw new CheckpointException($"'{path}': target_modules must hold strings; got {e.GetRawText()}.", path))];
                        break;
                    case JsonValueKind.String when string.Equals(target.GetString(), LoraConfig.AllLinear, StringComparison.OrdinalIgnoreCase):
                        targets = [LoraConfig.AllLinear];
                        break;
                    case JsonValueKind.String:
                        targetRegex = target.GetString();
                        break;
                    case JsonValueKind.Null:
                        break;
                    default:
                        throw new CheckpointException($"'{path}': target_modules must be a list, a string or null; got {target.GetRawText()}.", path);
                }
            }

            var config = new LoraConfig
            {
                R = Int(root, "r", 8, path),
                LoraAlpha = Number(root, "lora_alpha", 8, path),
                LoraDropout = Number(root, "lora_dropout", 0, path),
                TargetModules = targets,
                TargetModulesRegex = targetRegex,
                UseRslora = root.TryGetProperty("use_rslora", out JsonElement rs) && rs.ValueKind == JsonValueKind.True,
                Bias = String(root, "bias", path) ?? LoraConfig.BiasNone,
                BaseModelNameOrPath = String(root, "base_model_name_or_path", path),
            };
            try
            {
                config.Validate();
            }
            catch (ArgumentException e)
            {
                throw new CheckpointException($"'{path}': {e.Message}", path, innerException: e);
            }

            return config;
        }
    }

    private static bool IsDefault(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.False => true,
        JsonValueKind.Array => value.GetArrayLength() == 0,
        JsonValueKind.Object => !value.EnumerateObject().Any(),
        JsonValueKind.String => value.GetString()!.Length == 0,
        _ => false,
    };

    private static string? String(JsonElement root, string key, string path)
        => !root.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null
            ? null
            : value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : throw new CheckpointException($"'{path}': {key} must be a string; got {value.GetRawText()}.", path);

    private static double Number(JsonElement root, string key, double fallback, string path)
        => !root.TryGetProperty(key, out JsonElement value)
            ? fallback
            : value.ValueKind == JsonValueKind.Number
                ? value.GetDouble()
                : throw new CheckpointException($"'{path}': {key} must be a number; got {value.GetRawText()}.", path);

    private static int Int(JsonElement root, string key, int fallback, string path)
        => !root.TryGetProperty(key, out JsonElement value)
            ? fallback
            : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)
                ? result
                : throw new CheckpointException($"'{path}': {key} must be an integer; got {value.GetRawText()}.", path);

    private static void WriteStringOrNull(Utf8JsonWriter json, string key, string? value)
    {
        if (value is null)
        {
            json.WriteNull(key);
        }
        else
        {
            json.WriteString(key, value);
        }
    }

    /// <summary>Numbers as Python's json writes them: <c>32</c> for an int, <c>0.0</c> / <c>0.05</c> for a float.</summary>
    private static void WriteNumber(Utf8JsonWriter json, double value, bool integerWhenWhole)
    {
        bool whole = value == Math.Floor(value) && Math.Abs(value) < 1e15;
        string text = whole
            ? (integerWhenWhole ? ((long)value).ToString(CultureInfo.InvariantCulture) : ((long)value).ToString(CultureInfo.InvariantCulture) + ".0")
            : value.ToString("R", CultureInfo.InvariantCulture);
        json.WriteRawValue(Encoding.UTF8.GetBytes(text));
    }
}
