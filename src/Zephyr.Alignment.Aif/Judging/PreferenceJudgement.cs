namespace Zephyr.Alignment.Aif.Judging;

/// <summary>A judge's answer for one prompt: one <see cref="CandidateJudgement"/> per candidate, in the request's order.</summary>
public sealed record PreferenceJudgement
{
    /// <summary>Creates a judgement.</summary>
    /// <param name="candidates">One entry per candidate of the request.</param>
    public PreferenceJudgement(IReadOnlyList<CandidateJudgement> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        Candidates = candidates;
    }

    /// <summary>The per-candidate judgements, aligned with <see cref="PreferenceJudgeRequest.Candidates"/>.</summary>
    public IReadOnlyList<CandidateJudgement> Candidates { get; }

    /// <summary>The number of aspect failures over all candidates.</summary>
    public int FailureCount => Candidates.Sum(c => c.Failures.Count);

    /// <summary>Checks that this judgement answers <paramref name="request"/> (one entry per candidate).</summary>
    /// <param name="request">The request it answers.</param>
    /// <param name="judgeName">The judge's name, for the message.</param>
    /// <exception cref="InvalidOperationException">The candidate counts differ.</exception>
    public void EnsureAnswers(PreferenceJudgeRequest request, string judgeName)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Candidates.Count != request.Candidates.Count)
        {
            throw new InvalidOperationException(
                $"Judge '{judgeName}' returned {Candidates.Count} candidate judgements for prompt '{request.PromptId}', which has {request.Candidates.Count} candidates.");
        }
    }
}
