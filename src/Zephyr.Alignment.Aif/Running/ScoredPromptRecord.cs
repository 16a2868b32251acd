using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>One line of <c>scored.jsonl</c>: a finished prompt with every candidate, its ratings, and all failures.</summary>
/// <param name="Index">The prompt's position in the prompts file.</param>
/// <param name="Prompt">The prompt with its scored candidates.</param>
/// <param name="GenerationFailures">Completions that could not be generated.</param>
public sealed record ScoredPromptRecord(int Index, ScoredPrompt Prompt, IReadOnlyList<GenerationFailure> GenerationFailures)
{
    /// <summary>The (candidate, aspect) ratings the judge failed to give.</summary>
    public int FailedRatings => Prompt.Candidates.Sum(c => c.Judgement.Failures.Count);
}
