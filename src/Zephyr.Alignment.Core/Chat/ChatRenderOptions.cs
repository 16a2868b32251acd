namespace Zephyr.Alignment.Chat;

/// <summary>Options for <see cref="IChatTemplate.Render"/>, mirroring the variables a Jinja chat template receives.</summary>
public sealed class ChatRenderOptions
{
    /// <summary>
    /// Append the prompt that makes the model answer as the assistant (e.g. <c>&lt;|assistant|&gt;\n</c>).
    /// Default: <see langword="false"/>, as in <c>apply_chat_template</c>.
    /// </summary>
    public bool AddGenerationPrompt { get; set; }

    /// <summary>The tokenizer's beginning-of-sequence string (<c>bos_token</c>). Default: <c>&lt;s&gt;</c>.</summary>
    public string BosToken { get; set; } = "<s>";

    /// <summary>The tokenizer's end-of-sequence string (<c>eos_token</c>). Default: <c>&lt;/s&gt;</c>.</summary>
    public string EosToken { get; set; } = "</s>";

    /// <summary>
    /// Tool definitions (JSON schemas) for the template's <c>tools</c> variable, or <see langword="null"/> (the
    /// variable is then undefined). Only <see cref="JinjaChatTemplate"/> reads them; the hand-written templates
    /// refuse them. Default: <see langword="null"/>.
    /// </summary>
    public IReadOnlyList<System.Text.Json.JsonElement>? Tools { get; set; }

    /// <summary>
    /// Documents for retrieval-augmented templates (the <c>documents</c> variable), or <see langword="null"/>. Only
    /// <see cref="JinjaChatTemplate"/> reads them; the hand-written templates refuse them. Default: <see langword="null"/>.
    /// </summary>
    public IReadOnlyList<System.Text.Json.JsonElement>? Documents { get; set; }

    /// <summary>
    /// Further template variables, as the extra keyword arguments of <c>apply_chat_template</c>
    /// (e.g. <c>enable_thinking</c> for Qwen3, or special tokens such as <c>unk_token</c>): strings, numbers,
    /// booleans, lists, dictionaries or <see cref="System.Text.Json.JsonElement"/>. Only
    /// <see cref="JinjaChatTemplate"/> reads them; the hand-written templates refuse them. Default: empty.
    /// </summary>
    public IDictionary<string, object?> Variables { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The clock <c>strftime_now</c> reads; <see langword="null"/> for the local time. Default: <see langword="null"/>.</summary>
    public Func<DateTimeOffset>? Now { get; set; }
}
