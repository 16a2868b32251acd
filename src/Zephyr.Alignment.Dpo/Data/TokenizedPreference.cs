namespace Zephyr.Alignment.Dpo.Data;

/// <summary>A preference pair as token ids, ready for <see cref="PreferenceCollator"/>.</summary>
/// <param name="PromptIds">The prompt, rendered with the chat template and its generation prompt (or the plain prompt text).</param>
/// <param name="ChosenIds">The preferred completion followed by eos (unless truncation cut it).</param>
/// <param name="RejectedIds">The dispreferred completion followed by eos (unless truncation cut it).</param>
/// <param name="Source">Where the pair came from (file and row or line), if known.</param>
public sealed record TokenizedPreference(int[] PromptIds, int[] ChosenIds, int[] RejectedIds, string? Source = null)
{
    /// <summary>The longer of prompt+chosen and prompt+rejected, in tokens.</summary>
    public int MaxSequenceLength => PromptIds.Length + Math.Max(ChosenIds.Length, RejectedIds.Length);
}
