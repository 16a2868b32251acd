using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.AifSample;

/// <summary>
/// A programmatic teacher: rates each candidate by plain rules instead of asking a chat model. Real runs use a strong
/// model (a <see cref="ChatPreferenceJudge"/> over GPT-4-class endpoints); the rules here only make the sample run
/// offline and deterministically.
/// </summary>
/// <remarks>
/// Instruction following and helpfulness: words shared with the prompt and distinct words, capped at 5.
/// Truthfulness: fewer repeated words is better. Honesty: N/A for creative prompts (poems, haiku), else 3.
/// </remarks>
internal sealed class ReadabilityJudge : IPreferenceJudge
{
    private static readonly string[] Creative = ["poem", "haiku", "story"];

    public Task<PreferenceJudgement> JudgeAsync(PreferenceJudgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var promptWords = Words(request.Prompt).ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool creative = Creative.Any(c => request.Prompt.Contains(c, StringComparison.OrdinalIgnoreCase));
        CandidateJudgement[] judgements = request.Candidates.Select(candidate =>
        {
            string[] words = Words(candidate.Completion);
            int distinct = words.Distinct(StringComparer.OrdinalIgnoreCase).Count();
            int shared = words.Count(promptWords.Contains);
            int repeated = words.Length - distinct;
            return new CandidateJudgement(
            [
                AspectRating.Of(FeedbackAspect.InstructionFollowing, Math.Clamp(1 + shared, 1, 5), $"{shared} words from the prompt"),
                creative
                    ? AspectRating.NotApplicable(FeedbackAspect.Honesty, "creative task")
                    : AspectRating.Of(FeedbackAspect.Honesty, 3, "makes no claims about its confidence"),
                AspectRating.Of(FeedbackAspect.Truthfulness, Math.Clamp(5 - repeated, 1, 5), $"{repeated} repeated words"),
                AspectRating.Of(FeedbackAspect.Helpfulness, Math.Clamp(1 + (distinct / 4), 1, 5), $"{distinct} distinct words"),
            ]);
        }).ToArray();
        return Task.FromResult(new PreferenceJudgement(judgements));
    }

    private static string[] Words(string text) =>
        text.Split([' ', '\n', '\t', '.', ',', '!', '?', ';', ':'], StringSplitOptions.RemoveEmptyEntries);
}
