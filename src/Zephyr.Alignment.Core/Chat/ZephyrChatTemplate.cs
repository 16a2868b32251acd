namespace Zephyr.Alignment.Chat;

/// <summary>
/// The Zephyr format of the alignment-handbook (<c>DEFAULT_CHAT_TEMPLATE</c>, also shipped by
/// <c>HuggingFaceH4/zephyr-7b-beta</c>), registered as <c>zephyr</c>.
/// </summary>
/// <remarks>
/// <para>Each message renders as <c>&lt;|role|&gt;\n{content}{eos}\n</c>; the generation prompt is
/// <c>&lt;|assistant|&gt;\n</c>. With eos <c>&lt;/s&gt;</c>:</para>
/// <code>
/// &lt;|system|&gt;\n{system}&lt;/s&gt;\n&lt;|user|&gt;\n{user}&lt;/s&gt;\n&lt;|assistant|&gt;\n{assistant}&lt;/s&gt;\n
/// </code>
/// <para>The assistant span covers <c>{assistant}&lt;/s&gt;</c>, not the newline after it.</para>
/// <para>
/// <b>Empty system turn.</b> The Jinja template itself never inserts a system message. The alignment-handbook's
/// preprocessing (<c>maybe_insert_system_message</c>) inserts <c>{"role": "system", "content": ""}</c> before
/// rendering whenever the first message is not a system message, for every template that mentions
/// <c>system</c>, which includes this one. Zephyr-7B was trained that way, so <see cref="InsertEmptySystemTurn"/>
/// defaults to <see langword="true"/>. Set it to <see langword="false"/> to reproduce
/// <c>tokenizer.apply_chat_template</c> exactly, as templates recognised from a checkpoint's
/// <c>chat_template</c> do (see <see cref="ChatTemplateRecognizer"/>).
/// </para>
/// <para>Like the Jinja template, any order of roles is accepted.</para>
/// </remarks>
public sealed class ZephyrChatTemplate : IChatTemplate
{
    /// <summary>The registry name, <c>zephyr</c>.</summary>
    public const string TemplateName = "zephyr";

    /// <summary>Creates the template.</summary>
    /// <param name="insertEmptySystemTurn">See <see cref="InsertEmptySystemTurn"/>. Default: <see langword="true"/>.</param>
    public ZephyrChatTemplate(bool insertEmptySystemTurn = true)
    {
        InsertEmptySystemTurn = insertEmptySystemTurn;
    }

    /// <summary>
    /// Render an empty system turn (<c>&lt;|system|&gt;\n{eos}\n</c>) first when the first message is not a system
    /// message, as the alignment-handbook's <c>maybe_insert_system_message</c> does. Default: <see langword="true"/>.
    /// Span message indices always refer to the caller's list, never to the inserted turn.
    /// </summary>
    public bool InsertEmptySystemTurn { get; }

    /// <inheritdoc/>
    public string Name => TemplateName;

    /// <inheritdoc/>
    public RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null)
    {
        ChatGuard.CheckMessages(messages, nameof(messages));
        ChatGuard.RejectJinjaOnlyOptions(options, Name);
        ChatRenderOptions o = options ?? new ChatRenderOptions();
        var builder = new ChatTextBuilder();
        if (InsertEmptySystemTurn && messages[0].Role != MessageRole.System)
        {
            builder.Append("<|system|>\n").Append(o.EosToken).Append("\n");
        }

        for (int i = 0; i < messages.Count; i++)
        {
            ConversationMessage message = messages[i];
            builder.Append("<|").Append(message.Role.ToWireName()).Append("|>\n");
            if (message.Role == MessageRole.Assistant)
            {
                builder.AppendAssistant(i, message.Content, o.EosToken);
            }
            else
            {
                builder.Append(message.Content).Append(o.EosToken);
            }

            builder.Append("\n");
        }

        if (o.AddGenerationPrompt)
        {
            builder.Append("<|assistant|>\n");
        }

        return builder.Build();
    }
}
