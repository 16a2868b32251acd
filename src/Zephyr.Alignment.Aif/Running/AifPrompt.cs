namespace Zephyr.Alignment.Aif.Running;

/// <summary>One prompt of a run.</summary>
/// <param name="Index">Its position in the prompts file (0-based); the output keeps this order.</param>
/// <param name="PromptId">Its id: the file's <c>prompt_id</c>, else <see cref="PromptIds.FromPrompt"/>.</param>
/// <param name="Prompt">The prompt text.</param>
public sealed record AifPrompt(int Index, string PromptId, string Prompt);
