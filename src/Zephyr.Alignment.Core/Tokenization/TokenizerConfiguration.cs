using System.Text.Json;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// What a checkpoint folder's <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c> and
/// <c>chat_template.jinja</c> say about special tokens and encoding flags. Every file is optional.
/// </summary>
internal sealed class TokenizerConfiguration
{
    /// <summary>The name of the tokenizer configuration file.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>The name of the special tokens map file.</summary>
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    /// <summary>The name of the stand-alone chat template file newer transformers versions write.</summary>
    public const string ChatTemplateFileName = "chat_template.jinja";

    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Path of <c>tokenizer_config.json</c> (whether or not it exists), for error messages.</summary>
    public required string ConfigPath { get; init; }

    public bool? AddBosToken { get; private set; }

    public bool? AddEosToken { get; private set; }

    /// <summary><c>legacy</c>; <see langword="null"/> when absent.</summary>
    public bool? Legacy { get; private set; }

    /// <summary><c>add_prefix_space</c>; <see langword="null"/> when absent or null.</summary>
    public bool? AddPrefixSpace { get; private set; }

    public string? ChatTemplate { get; private set; }

    /// <summary><c>tokenizer_class</c>, e.g. <c>LlamaTokenizer</c>; <see langword="null"/> when absent.</summary>
    public string? TokenizerClass { get; private set; }

    /// <summary><c>clean_up_tokenization_spaces</c>; <see langword="null"/> when absent.</summary>
    public bool? CleanUpTokenizationSpaces { get; private set; }

    public string? BosToken { get; private set; }

    public string? EosToken { get; private set; }

    public string? UnkToken { get; private set; }

    public string? PadToken { get; private set; }

    /// <summary><c>additional_special_tokens</c> contents.</summary>
    public List<string> AdditionalSpecialTokens { get; } = [];

    /// <summary><c>added_tokens_decoder</c>, in file order.</summary>
    public List<AddedToken> AddedTokensDecoder { get; } = [];

    /// <summary>Reads the configuration files of <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A file is not valid JSON or has a field of the wrong kind; the message names the file.</exception>
    public static TokenizerConfiguration Read(string directory)
    {
        var configuration = new TokenizerConfiguration { ConfigPath = Path.Combine(directory, ConfigFileName) };
        if (File.Exists(configuration.ConfigPath))
        {
            ReadJson(configuration.ConfigPath, configuration.ApplyConfig);
        }

        string mapPath = Path.Combine(directory, SpecialTokensMapFileName);
        if (File.Exists(mapPath))
        {
            ReadJson(mapPath, configuration.ApplySpecialTokensMap);
        }

        string templatePath = Path.Combine(directory, ChatTemplateFileName);
        if (configuration.ChatTemplate is null && File.Exists(templatePath))
        {
            configuration.ChatTemplate = File.ReadAllText(templatePath);
        }

        return configuration;
    }

    private static void ReadJson(string path, Action<JsonElement> apply)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path), JsonOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"'{path}' must hold a JSON object.");
            }

            apply(document.RootElement);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {exception.Message}", exception);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidDataException($"'{path}' has a field of the wrong kind: {exception.Message}", exception);
        }
    }

    private void ApplyConfig(JsonElement root)
    {
        AddBosToken = OptionalBool(root, "add_bos_token");
        AddEosToken = OptionalBool(root, "add_eos_token");
        Legacy = OptionalBool(root, "legacy");
        AddPrefixSpace = OptionalBool(root, "add_prefix_space");
        ChatTemplate = ReadChatTemplate(root);
        TokenizerClass = root.TryGetProperty("tokenizer_class", out JsonElement tokenizerClass) && tokenizerClass.ValueKind == JsonValueKind.String ? tokenizerClass.GetString() : null;
        CleanUpTokenizationSpaces = OptionalBool(root, "clean_up_tokenization_spaces");
        BosToken = TokenContent(root, "bos_token");
        EosToken = TokenContent(root, "eos_token");
        UnkToken = TokenContent(root, "unk_token");
        PadToken = TokenContent(root, "pad_token");
        ReadAdditionalSpecialTokens(root);

        if (root.TryGetProperty("added_tokens_decoder", out JsonElement decoder) && decoder.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty entry in decoder.EnumerateObject())
            {
                if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                {
                    throw new InvalidDataException($"'{ConfigPath}': added_tokens_decoder key '{entry.Name}' is not an id.");
                }

                AddedTokensDecoder.Add(ReadAddedToken(entry.Value, id, ConfigPath));
            }
        }
    }

    private void ApplySpecialTokensMap(JsonElement root)
    {
        // tokenizer_config.json wins; the map only fills what it leaves out.
        BosToken ??= TokenContent(root, "bos_token");
        EosToken ??= TokenContent(root, "eos_token");
        UnkToken ??= TokenContent(root, "unk_token");
        PadToken ??= TokenContent(root, "pad_token");
        ReadAdditionalSpecialTokens(root);
    }

    private void ReadAdditionalSpecialTokens(JsonElement root)
    {
        if (root.TryGetProperty("additional_special_tokens", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in list.EnumerateArray())
            {
                string? content = TokenContent(item);
                if (content is not null && !AdditionalSpecialTokens.Contains(content))
                {
                    AdditionalSpecialTokens.Add(content);
                }
            }
        }
    }

    /// <summary>Reads an AddedToken object (<c>{"content": ..., "special": ..., "lstrip": ..., "rstrip": ...}</c>).</summary>
    internal static AddedToken ReadAddedToken(JsonElement element, int id, string path)
    {
        string? content = TokenContent(element);
        if (string.IsNullOrEmpty(content))
        {
            throw new InvalidDataException($"'{path}': added token {id} has no content.");
        }

        bool special = element.ValueKind != JsonValueKind.Object || (OptionalBool(element, "special") ?? false);
        bool leftStrip = element.ValueKind == JsonValueKind.Object && (OptionalBool(element, "lstrip") ?? false);
        bool rightStrip = element.ValueKind == JsonValueKind.Object && (OptionalBool(element, "rstrip") ?? false);
        return new AddedToken(content, id, special, leftStrip, rightStrip);
    }

    private static string? ReadChatTemplate(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out JsonElement template))
        {
            return null;
        }

        if (template.ValueKind == JsonValueKind.String)
        {
            return template.GetString();
        }

        // Some checkpoints list named templates ([{"name": "default", "template": ...}, ...]); take "default".
        if (template.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement named in template.EnumerateArray())
            {
                if (named.ValueKind == JsonValueKind.Object
                    && named.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String && name.GetString() == "default"
                    && named.TryGetProperty("template", out JsonElement text) && text.ValueKind == JsonValueKind.String)
                {
                    return text.GetString();
                }
            }
        }

        return null;
    }

    private static string? TokenContent(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) ? TokenContent(value) : null;

    /// <summary>A token given as a string or as an AddedToken object with <c>content</c>.</summary>
    private static string? TokenContent(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String => content.GetString(),
        _ => null,
    };

    private static bool? OptionalBool(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean()
            : null;
}
