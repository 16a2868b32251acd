namespace Zephyr.Alignment.Chat;

/// <summary>
/// The Llama-2-chat format of <c>meta-llama/Llama-2-7b-chat-hf</c> (and 13b/70b), registered as <c>llama-2</c>.
/// </summary>
/// <remarks>
/// <para>With bos <c>&lt;s&gt;</c> and eos <c>&lt;/s&gt;</c>:</para>
/// <code>
/// &lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\n{system}\n&lt;&lt;/SYS&gt;&gt;\n\n{user} [/INST] {assistant} &lt;/s&gt;&lt;s&gt;[INST] {user} [/INST]
/// </code>
/// <para>As in the Jinja template, the optional system message is folded into the first user turn, each turn's
/// text is stripped (Python <c>str.strip()</c>, applied to the whole first turn including the system block), and
/// <see cref="ChatRenderOptions.AddGenerationPrompt"/> has no effect: a conversation that ends with the user
/// already ends with <c>[/INST]</c>. The assistant span covers <c>{assistant} &lt;/s&gt;</c> (the space before eos
/// is part of what the model emits).</para>
/// <para>Roles must be an optional system message followed by user/assistant turns alternating from the user;
/// otherwise <see cref="FormatException"/> names the message. The Jinja template silently drops a system message
/// at an odd later position; this class rejects every system message that is not first.</para>
/// </remarks>
public sealed class Llama2ChatTemplate : IChatTemplate
{
    /// <summary>The registry name, <c>llama-2</c>.</summary>
    public const string TemplateName = "llama-2";

    /// <inheritdoc/>
    public string Name => TemplateName;

    /// <inheritdoc/>
    public RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null)
    {
        ChatGuard.CheckMessages(messages, nameof(messages));
        ChatGuard.RejectJinjaOnlyOptions(options, Name);
        Conversation.ValidateAlternation(messages, $"'{TemplateName}' template");
        ChatRenderOptions o = options ?? new ChatRenderOptions();
        string? system = messages[0].Role == MessageRole.System ? messages[0].Content : null;
        int start = system is null ? 0 : 1;
        var builder = new ChatTextBuilder();
        for (int i = start; i < messages.Count; i++)
        {
            ConversationMessage message = messages[i];
            string content = i == start && system is not null
                ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + message.Content
                : message.Content;
            if (message.Role == MessageRole.User)
            {
                builder.Append(o.BosToken).Append("[INST] ").Append(PythonText.Strip(content)).Append(" [/INST]");
            }
            else
            {
                builder.Append(" ").AppendAssistant(i, PythonText.Strip(content) + " ", o.EosToken);
            }
        }

        return builder.Build();
    }
}
