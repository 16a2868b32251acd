namespace Zephyr.Alignment.Chat;

/// <summary>
/// The Llama-3 instruct format of <c>meta-llama/Meta-Llama-3-8B-Instruct</c>, registered as <c>llama-3</c>.
/// </summary>
/// <remarks>
/// <para>With bos <c>&lt;|begin_of_text|&gt;</c>:</para>
/// <code>
/// &lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;system&lt;|end_header_id|&gt;\n\n{system}&lt;|eot_id|&gt;&lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\n{user}&lt;|eot_id|&gt;&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n{assistant}&lt;|eot_id|&gt;
/// </code>
/// <para>As in the Jinja template, content is trimmed (Jinja <c>trim</c>, i.e. Python <c>str.strip()</c>), bos
/// (<see cref="ChatRenderOptions.BosToken"/>; pass the tokenizer's, e.g. <c>&lt;|begin_of_text|&gt;</c>) is written
/// before the first message, and the generation prompt is
/// <c>&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n</c>. The assistant span covers
/// <c>{assistant}&lt;|eot_id|&gt;</c>. Any order of roles is accepted.</para>
/// <para>Llama-3.1's template is a different format (it adds knowledge-cutoff and date lines to the system turn)
/// and is not reproduced here.</para>
/// </remarks>
public sealed class Llama3ChatTemplate : IChatTemplate
{
    /// <summary>The registry name, <c>llama-3</c>.</summary>
    public const string TemplateName = "llama-3";

    /// <summary>Llama-3's end-of-turn marker, <c>&lt;|eot_id|&gt;</c>.</summary>
    public const string EndOfTurn = "<|eot_id|>";

    /// <inheritdoc/>
    public string Name => TemplateName;

    /// <inheritdoc/>
    public RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null)
    {
        ChatGuard.CheckMessages(messages, nameof(messages));
        ChatGuard.RejectJinjaOnlyOptions(options, Name);
        ChatRenderOptions o = options ?? new ChatRenderOptions();
        var builder = new ChatTextBuilder().Append(o.BosToken);
        for (int i = 0; i < messages.Count; i++)
        {
            ConversationMessage message = messages[i];
            builder.Append("<|start_header_id|>").Append(message.Role.ToWireName()).Append("<|end_header_id|>\n\n");
            string content = PythonText.Strip(message.Content);
            if (message.Role == MessageRole.Assistant)
            {
                builder.AppendAssistant(i, content, EndOfTurn);
            }
            else
            {
                builder.Append(content).Append(EndOfTurn);
            }
        }

        if (o.AddGenerationPrompt)
        {
            builder.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }

        return builder.Build();
    }
}
