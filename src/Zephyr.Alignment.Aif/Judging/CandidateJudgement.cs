namespace Zephyr.Alignment.Aif.Judging;

/// <summary>Everything the judge said about one candidate: a rating per aspect it could rate, and a failure per aspect it could not.</summary>
public sealed record CandidateJudgement
{
    /// <summary>Creates a judgement.</summary>
    /// <param name="ratings">At most one rating per aspect.</param>
    /// <param name="failures">At most one failure per aspect, none for an aspect that is also rated.</param>
    /// <exception cref="ArgumentException">An aspect is rated twice, fails twice, or is both rated and failed.</exception>
    public CandidateJudgement(IReadOnlyList<AspectRating> ratings, IReadOnlyList<JudgeFailure>? failures = null)
    {
        ArgumentNullException.ThrowIfNull(ratings);
        failures ??= [];
        var seen = new HashSet<FeedbackAspect>();
        foreach (FeedbackAspect aspect in ratings.Select(r => r.Aspect).Concat(failures.Select(f => f.Aspect)))
        {
            if (!seen.Add(aspect))
            {
                throw new ArgumentException($"Aspect {aspect.ToWireName()} appears more than once in a candidate's judgement.", nameof(ratings));
            }
        }

        Ratings = ratings;
        Failures = failures;
    }

    /// <summary>The aspects rated (1..5 or N/A).</summary>
    public IReadOnlyList<AspectRating> Ratings { get; }

    /// <summary>The aspects that could not be rated, with the teacher's raw answers.</summary>
    public IReadOnlyList<JudgeFailure> Failures { get; }

    /// <summary>Whether any aspect failed; a failed candidate gets no score (see <see cref="CandidateScores"/>).</summary>
    public bool IsFailed => Failures.Count > 0;

    /// <summary>The rating of <paramref name="aspect"/>, or <see langword="null"/> when it was not rated.</summary>
    /// <param name="aspect">The aspect.</param>
    public AspectRating? this[FeedbackAspect aspect] => Ratings.FirstOrDefault(r => r.Aspect == aspect);
}
