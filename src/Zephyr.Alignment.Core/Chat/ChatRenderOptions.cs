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
}
