using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Chat;

/// <summary>
/// Maps a checkpoint's Jinja <c>chat_template</c> (from <c>tokenizer_config.json</c>) to the
/// <see cref="IChatTemplate"/> that renders the same text, so a fine-tune uses the format the model shipped with:
/// the hand-written template of a <see cref="Catalog"/> entry, or else a <see cref="JinjaChatTemplate"/> that
/// interprets the source.
/// </summary>
/// <remarks>
/// <para><b>Rule.</b> A template is recognised only when its source equals a <see cref="Catalog"/> entry after
/// canonicalisation: whitespace inside <c>{% %}</c>/<c>{{ }}</c> tags is ignored, string literals are compared by
/// value, comments are dropped, and text outside tags is compared exactly after transformers' whitespace handling
/// (<c>trim_blocks</c>, <c>lstrip_blocks</c>, <c>-</c> markers). No substring sniffing: a template that differs
/// in anything that can change the output is not recognised, and is rendered by <see cref="JinjaChatTemplate"/>.</para>
/// <para>Recognised templates reproduce <c>apply_chat_template</c>; in particular the Zephyr entry does not insert
/// an empty system turn (select <c>zephyr</c> by name for the alignment-handbook's preprocessing).</para>
/// <para>Catalogue (sources in each entry's <see cref="ChatTemplateCatalogEntry.Description"/>): the
/// alignment-handbook's Zephyr template, ChatML (OpenHermes-2.5), Llama-2-chat, Mistral-7B-Instruct v0.1's and
/// v0.2/Mixtral-8x7B's original templates, the system-aware Mistral-instruct template, and Llama-3-instruct.</para>
/// </remarks>
public static class ChatTemplateRecognizer
{
    private const string HandbookZephyr =
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    private const string ChatMlOpenHermes =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private const string Llama2Chat =
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    private const string MistralV01Original =
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    private const string MistralV02Original =
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    private const string MistralV1 =
        "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n";

    private const string Llama3Instruct =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /// <summary>The templates this library recognises, with where each source text came from.</summary>
    public static IReadOnlyList<ChatTemplateCatalogEntry> Catalog { get; } =
    [
        new(
            "alignment-handbook-zephyr",
            "The alignment-handbook's DEFAULT_CHAT_TEMPLATE (huggingface/alignment-handbook src/alignment/data.py @ " +
            "b9fbf14bd63f4aa945f33ffb128da297889f36b5), the Zephyr format of HuggingFaceH4/zephyr-7b-beta; text as " +
            "in the team fixture tiny-llama/tokenizer_config.json.",
            HandbookZephyr,
            new ZephyrChatTemplate(insertEmptySystemTurn: false)),
        new(
            "chatml-openhermes",
            "ChatML as shipped by teknium/OpenHermes-2.5-Mistral-7B; text as quoted (with transformers' rendering) " +
            "in EricLBuehler/mistral.rs mistralrs-core/src/pipeline/mod.rs test_chat_templates.",
            ChatMlOpenHermes,
            new ChatMlChatTemplate()),
        new(
            "llama-2-chat",
            "meta-llama/Llama-2-7b-chat-hf / Llama-2-13b-chat-hf; text as quoted (with transformers' rendering) in " +
            "EricLBuehler/mistral.rs mistralrs-core/src/pipeline/mod.rs test_chat_templates.",
            Llama2Chat,
            new Llama2ChatTemplate()),
        new(
            "mistral-instruct-v0.1-original",
            "The first template of mistralai/Mistral-7B-Instruct-v0.1; text as quoted (with transformers' rendering) " +
            "in EricLBuehler/mistral.rs mistralrs-core/src/pipeline/mod.rs test_chat_templates.",
            MistralV01Original,
            new MistralInstructChatTemplate(MistralInstructVariant.LegacyV01)),
        new(
            "mistral-instruct-v0.2-original",
            "The first template of mistralai/Mistral-7B-Instruct-v0.2 and Mixtral-8x7B-Instruct-v0.1; text as quoted " +
            "(with transformers' rendering) in EricLBuehler/mistral.rs mistralrs-core/src/pipeline/mod.rs.",
            MistralV02Original,
            new MistralInstructChatTemplate(MistralInstructVariant.LegacyV02)),
        new(
            "mistral-instruct-v1",
            "The system-aware template of current mistralai/Mistral-7B-Instruct-v0.2 (mistral-common tokenizer V1); " +
            "text as quoted in ggml-org/llama.cpp tests/test-chat-template.cpp.",
            MistralV1,
            new MistralInstructChatTemplate(MistralInstructVariant.V1)),
        new(
            "llama-3-instruct",
            "meta-llama/Meta-Llama-3-8B-Instruct's template; text as in the team fixture bpe-tiny/tokenizer_config.json " +
            "(rendered there by @huggingface/jinja).",
            Llama3Instruct,
            new Llama3ChatTemplate()),
    ];

    /// <summary>Finds the catalogue entry whose source is equivalent to <paramref name="chatTemplate"/>.</summary>
    /// <returns><see langword="false"/> when no entry matches (or the source does not parse).</returns>
    public static bool TryRecognize(string chatTemplate, [NotNullWhen(true)] out ChatTemplateCatalogEntry? entry)
    {
        ArgumentNullException.ThrowIfNull(chatTemplate);
        string? canonical = JinjaCanonicalForm.Canonicalize(chatTemplate);
        entry = canonical is null
            ? null
            : Catalog.FirstOrDefault(e => string.Equals(e.CanonicalSource, canonical, StringComparison.Ordinal));
        return entry is not null;
    }

    /// <summary>
    /// Returns the template that renders <paramref name="chatTemplate"/>: the hand-written equivalent of a
    /// <see cref="Catalog"/> entry (the same text, proven by the Jinja fixtures), else a <see cref="JinjaChatTemplate"/>
    /// that interprets the source itself.
    /// </summary>
    /// <param name="chatTemplate">The Jinja source.</param>
    /// <param name="sourceFile">Where it came from, for error messages.</param>
    /// <exception cref="ChatTemplateException">The source uses Jinja outside the supported subset; the message names the construct.</exception>
    public static IChatTemplate Recognize(string chatTemplate, string? sourceFile = null)
    {
        ArgumentNullException.ThrowIfNull(chatTemplate);
        return TryRecognize(chatTemplate, out ChatTemplateCatalogEntry? entry)
            ? entry.Template
            : new JinjaChatTemplate(chatTemplate, sourceFile);
    }

    /// <summary>
    /// The chat template a checkpoint ships (see <see cref="Recognize"/>), or, when it has none, the Zephyr
    /// template of the alignment-handbook (as the handbook does for base models) with a Warning through
    /// <paramref name="logger"/> saying so.
    /// </summary>
    /// <param name="tokenizer">The checkpoint's tokenizer.</param>
    /// <param name="logger">Receives the warning when the default is used.</param>
    /// <param name="sourceFile">Where the tokenizer came from, for messages.</param>
    /// <exception cref="ChatTemplateException">The checkpoint's template uses Jinja outside the supported subset.</exception>
    public static IChatTemplate ForTokenizer(ITokenizer tokenizer, Microsoft.Extensions.Logging.ILogger logger, string? sourceFile = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(logger);
        if (tokenizer.ChatTemplate is { } source)
        {
            return Recognize(source, sourceFile);
        }

        ChatLog.DefaultTemplate(logger, sourceFile ?? "the tokenizer", ZephyrChatTemplate.TemplateName);
        return ChatTemplates.Default.Get(ZephyrChatTemplate.TemplateName);
    }

    /// <summary>Recognises the <see cref="ITokenizer.ChatTemplate"/> of <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The checkpoint's tokenizer.</param>
    /// <param name="sourceFile">Where the tokenizer came from, for the error message.</param>
    /// <exception cref="ChatTemplateNotRecognizedException">The tokenizer has no template, or it is not recognised.</exception>
    public static IChatTemplate FromTokenizer(ITokenizer tokenizer, string? sourceFile = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.ChatTemplate is null)
        {
            throw NoTemplate(sourceFile);
        }

        return Recognize(tokenizer.ChatTemplate, sourceFile);
    }

    /// <summary>Reads and recognises the <c>chat_template</c> of a <c>tokenizer_config.json</c>.</summary>
    /// <param name="tokenizerConfigPath">The file, or the checkpoint folder that holds it.</param>
    /// <exception cref="ChatTemplateNotRecognizedException">The file has no template, or it is not recognised.</exception>
    public static IChatTemplate FromTokenizerConfig(string tokenizerConfigPath)
    {
        string path = ResolveConfigPath(tokenizerConfigPath);
        string chatTemplate = ReadChatTemplate(path) ?? throw NoTemplate(path);
        return Recognize(chatTemplate, path);
    }

    /// <summary>
    /// The <c>chat_template</c> of a <c>tokenizer_config.json</c>: the string, or from a list of
    /// <c>{name, template}</c> objects the one named <c>default</c> (as transformers picks it).
    /// </summary>
    /// <param name="tokenizerConfigPath">The file, or the checkpoint folder that holds it.</param>
    /// <returns>The source, or <see langword="null"/> when the file has no <c>chat_template</c>.</returns>
    /// <exception cref="InvalidDataException">The file is not JSON, or <c>chat_template</c> has an unexpected shape.</exception>
    public static string? ReadChatTemplate(string tokenizerConfigPath)
    {
        string path = ResolveConfigPath(tokenizerConfigPath);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("chat_template", out JsonElement value)
                || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Array => PickDefault(value, path),
                _ => throw new InvalidDataException(
                    $"'{path}': chat_template is a JSON {value.ValueKind}; expected a string or a list of {{name, template}} objects."),
            };
        }
    }

    private static string PickDefault(JsonElement list, string path)
    {
        var names = new List<string>();
        foreach (JsonElement item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String
                || !item.TryGetProperty("template", out JsonElement template) || template.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException($"'{path}': each chat_template list item must be an object with string 'name' and 'template'.");
            }

            if (name.GetString() == "default")
            {
                return template.GetString()!;
            }

            names.Add(name.GetString()!);
        }

        throw new ChatTemplateNotRecognizedException(
            $"'{path}' lists chat templates ({string.Join(", ", names)}) but none is named 'default'. " +
            "Select a template by name through ChatTemplates instead.",
            path);
    }

    private static string ResolveConfigPath(string tokenizerConfigPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerConfigPath);
        string path = Directory.Exists(tokenizerConfigPath)
            ? Path.Combine(tokenizerConfigPath, "tokenizer_config.json")
            : tokenizerConfigPath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tokenizer config '{path}' was not found.", path);
        }

        return path;
    }

    private static ChatTemplateNotRecognizedException NoTemplate(string? sourceFile) =>
        new(
            $"{(sourceFile is null ? "The tokenizer" : $"'{sourceFile}'")} has no chat_template. Select a template by name " +
            $"through ChatTemplates (registered names: {string.Join(", ", ChatTemplates.Default.Names)}).",
            sourceFile);
}
