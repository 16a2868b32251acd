namespace Zephyr.Alignment.Chat;

/// <summary>
/// A prompt and its completion as one tokenized sequence split in two: <c>[.. Prompt, .. Completion]</c> are the ids
/// of the whole text encoded once; see <see cref="PromptCompletionEncoding"/>.
/// </summary>
/// <param name="Prompt">The ids before the prompt's end (bos included when the tokenizer adds it).</param>
/// <param name="Completion">The ids from the prompt's end on; a token straddling the boundary belongs here.</param>
public sealed record PromptCompletionIds(int[] Prompt, int[] Completion);
