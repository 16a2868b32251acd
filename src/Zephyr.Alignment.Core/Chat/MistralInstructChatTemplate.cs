namespace Zephyr.Alignment.Chat;

/// <summary>
/// The Mistral-instruct format (<c>[INST] … [/INST]</c>), registered as <c>mistral-instruct</c> with
/// <see cref="MistralInstructVariant.V1"/>.
/// </summary>
/// <remarks>
/// <para>With bos <c>&lt;s&gt;</c> and eos <c>&lt;/s&gt;</c>, <see cref="MistralInstructVariant.V1"/> renders</para>
/// <code>
/// &lt;s&gt; [INST] {system}\n\n{user} [/INST] {assistant}&lt;/s&gt; [INST] {user} [/INST]
/// </code>
/// <para>Content is not stripped. The assistant span covers <c>{assistant}&lt;/s&gt;</c>.
/// <see cref="ChatRenderOptions.AddGenerationPrompt"/> has no effect: the Jinja templates ignore it, because a
/// conversation ending with the user already ends with <c>[/INST]</c>.</para>
/// <para>Roles must alternate user/assistant starting with the user, after an optional first system message
/// (legacy variants: no system message at all); otherwise <see cref="FormatException"/> names the message, as
/// the Jinja templates raise.</para>
/// <para>Mistral-7B-Instruct-v0.3's template (tokenizer V3, with tool calls) is a different format: it writes
/// <c>[INST]</c> without the surrounding spaces and places the system message before the <i>last</i> user
/// message. It is not one of these variants.</para>
/// </remarks>
public sealed class MistralInstructChatTemplate : IChatTemplate
{
    /// <summary>The registry name, <c>mistral-instruct</c>.</summary>
    public const string TemplateName = "mistral-instruct";

    /// <summary>Creates the template.</summary>
    /// <param name="variant">The published template to reproduce. Default: <see cref="MistralInstructVariant.V1"/>.</param>
    public MistralInstructChatTemplate(MistralInstructVariant variant = MistralInstructVariant.V1)
    {
        if (!Enum.IsDefined(variant))
        {
            throw new ArgumentOutOfRangeException(nameof(variant), variant, "Unknown Mistral-instruct variant.");
        }

        Variant = variant;
    }

    /// <summary>The published template this instance reproduces.</summary>
    public MistralInstructVariant Variant { get; }

    /// <inheritdoc/>
    public string Name => TemplateName;

    /// <inheritdoc/>
    public RenderedChat Render(IReadOnlyList<ConversationMessage> messages, ChatRenderOptions? options = null)
    {
        ChatGuard.CheckMessages(messages, nameof(messages));
        ChatGuard.RejectJinjaOnlyOptions(options, Name);
        if (Variant != MistralInstructVariant.V1)
        {
            ChatGuard.RejectSystemMessages(messages, $"{TemplateName} ({Variant})");
        }

        Conversation.ValidateAlternation(messages, $"'{TemplateName}' template");
        ChatRenderOptions o = options ?? new ChatRenderOptions();
        string? system = messages[0].Role == MessageRole.System ? messages[0].Content : null;
        int start = system is null ? 0 : 1;
        var builder = new ChatTextBuilder().Append(o.BosToken);
        for (int i = start; i < messages.Count; i++)
        {
            ConversationMessage message = messages[i];
            if (Variant == MistralInstructVariant.V1)
            {
                if (message.Role == MessageRole.User)
                {
                    string prefix = i == start && system is not null ? system + "\n\n" : string.Empty;
                    builder.Append(" [INST] ").Append(prefix).Append(message.Content).Append(" [/INST]");
                }
                else
                {
                    builder.Append(" ").AppendAssistant(i, message.Content, o.EosToken);
                }
            }
            else if (message.Role == MessageRole.User)
            {
                builder.Append("[INST] ").Append(message.Content).Append(" [/INST]");
            }
            else
            {
                builder.AppendAssistant(i, message.Content, o.EosToken);
                if (Variant == MistralInstructVariant.LegacyV01)
                {
                    // v0.1's first template wrote eos + ' ', so the next [INST] is preceded by a space.
                    builder.Append(" ");
                }
            }
        }

        return builder.Build();
    }
}
