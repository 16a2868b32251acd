namespace Zephyr.Alignment.Chat;

/// <summary>
/// ChatML, registered as <c>chatml</c>: the template of <c>teknium/OpenHermes-2.5-Mistral-7B</c> and many others.
/// </summary>
/// <remarks>
/// <para>Each message renders as <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c>; the generation
/// prompt is <c>&lt;|im_start|&gt;assistant\n</c>. Neither bos nor eos is written. The assistant span covers
/// <c>{content}&lt;|im_end|&gt;</c>, not the newline after it.</para>
/// <para>Like the Jinja template, any order of roles is accepted.</para>
/// </remarks>
public sealed class ChatMlChatTemplate : IChatTemplate
{
    /// <summary>The registry name, <c>chatml</c>.</summary>
    public const string TemplateName = "chatml";

    /// <summary>ChatML's end-of-turn marker, <c>&lt;|im_end|&gt;</c>.</summary>
    public const string EndOfTurn = "<|im_end|>";

    /// <inheritdoc/>
    public string Name => TemplateName;

    /// <inheritdoc/>
    public RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null)
    {
        ChatGuard.CheckMessages(messages, nameof(messages));
        ChatGuard.RejectJinjaOnlyOptions(options, Name);
        ChatRenderOptions o = options ?? new ChatRenderOptions();
        var builder = new ChatTextBuilder();
        for (int i = 0; i < messages.Count; i++)
        {
            ConversationMessage message = messages[i];
            builder.Append("<|im_start|>").Append(message.Role.ToWireName()).Append("\n");
            if (message.Role == MessageRole.Assistant)
            {
                builder.AppendAssistant(i, message.Content, EndOfTurn);
            }
            else
            {
                builder.Append(message.Content).Append(EndOfTurn);
            }

            builder.Append("\n");
        }

        if (o.AddGenerationPrompt)
        {
            builder.Append("<|im_start|>assistant\n");
        }

        return builder.Build();
    }
}
