namespace Zephyr.Alignment.Chat;

/// <summary>
/// Which of the Jinja templates published for Mistral-7B-Instruct (tokenizer V1, <c>[INST]</c> as plain text) a
/// <see cref="MistralInstructChatTemplate"/> reproduces. They differ in whitespace and in system-message support,
/// and the model learned whichever its checkpoint shipped.
/// </summary>
public enum MistralInstructVariant
{
    /// <summary>
    /// The system-aware template of current Mistral-7B-Instruct v0.1/v0.2 checkpoints:
    /// <c>&lt;s&gt; [INST] {system}\n\n{user} [/INST] {assistant}&lt;/s&gt; [INST] {user} [/INST]</c>. The optional
    /// system message is prepended to the first user message, followed by a blank line.
    /// </summary>
    V1,

    /// <summary>
    /// The original template of Mistral-7B-Instruct-v0.1:
    /// <c>&lt;s&gt;[INST] {user} [/INST]{assistant}&lt;/s&gt; [INST] {user} [/INST]</c> (a space after each eos);
    /// no system message.
    /// </summary>
    LegacyV01,

    /// <summary>
    /// The original template of Mistral-7B-Instruct-v0.2 and Mixtral-8x7B-Instruct-v0.1:
    /// <c>&lt;s&gt;[INST] {user} [/INST]{assistant}&lt;/s&gt;[INST] {user} [/INST]</c>; no system message.
    /// </summary>
    LegacyV02,
}
