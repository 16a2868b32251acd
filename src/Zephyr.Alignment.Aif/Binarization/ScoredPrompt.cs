using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>A prompt with all its scored candidates, in candidate order (the order the judge saw them).</summary>
public sealed record ScoredPrompt
{
    /// <summary>Creates a scored prompt.</summary>
    /// <param name="promptId">The prompt's id.</param>
    /// <param name="prompt">The user prompt.</param>
    /// <param name="candidates">The candidates in the order the judge saw them.</param>
    public ScoredPrompt(string promptId, string prompt, IReadOnlyList<ScoredCandidate> candidates)
    {
        ArgumentException.ThrowIfNullOrEmpty(promptId);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(candidates);
        PromptId = promptId;
        Prompt = prompt;
        Candidates = candidates;
    }

    /// <summary>The prompt's id.</summary>
    public string PromptId { get; }

    /// <summary>The user prompt.</summary>
    public string Prompt { get; }

    /// <summary>The candidates.</summary>
    public IReadOnlyList<ScoredCandidate> Candidates { get; }

    /// <summary>
    /// Scores every candidate of <paramref name="request"/> from <paramref name="judgement"/> with
    /// <paramref name="aggregation"/>.
    /// </summary>
    /// <param name="request">The judged request.</param>
    /// <param name="judgement">The judge's answer for it.</param>
    /// <param name="aggregation">How ratings become a score.</param>
    /// <exception cref="InvalidOperationException">The judgement has a different number of candidates.</exception>
    public static ScoredPrompt From(PreferenceJudgeRequest request, PreferenceJudgement judgement, ScoreAggregation aggregation = ScoreAggregation.Mean)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(judgement);
        judgement.EnsureAnswers(request, "judge");
        var candidates = new ScoredCandidate[request.Candidates.Count];
        for (int i = 0; i < candidates.Length; i++)
        {
            candidates[i] = new ScoredCandidate(request.Candidates[i], judgement.Candidates[i], CandidateScores.Compute(judgement.Candidates[i], aggregation));
        }

        return new ScoredPrompt(request.PromptId, request.Prompt, candidates);
    }
}
