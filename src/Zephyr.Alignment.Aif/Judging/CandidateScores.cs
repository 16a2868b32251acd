namespace Zephyr.Alignment.Aif.Judging;

/// <summary>Turns a candidate's aspect ratings into the score binarization compares.</summary>
public static class CandidateScores
{
    /// <summary>
    /// The score of <paramref name="judgement"/>: <see langword="null"/> when any aspect failed (the candidate is
    /// not scored rather than scored on part of the rubric) or when no aspect has a numeric rating (all N/A);
    /// otherwise the <paramref name="aggregation"/> of the numeric ratings, N/A left out.
    /// </summary>
    /// <param name="judgement">The candidate's ratings.</param>
    /// <param name="aggregation">How to combine the ratings; <see cref="ScoreAggregation.Mean"/> by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="aggregation"/> is not defined.</exception>
    public static double? Compute(CandidateJudgement judgement, ScoreAggregation aggregation = ScoreAggregation.Mean)
    {
        ArgumentNullException.ThrowIfNull(judgement);
        if (judgement.IsFailed)
        {
            return null;
        }

        int[] ratings = judgement.Ratings.Where(r => r.Rating is not null).Select(r => r.Rating!.Value).ToArray();
        if (ratings.Length == 0)
        {
            return null;
        }

        return aggregation switch
        {
            ScoreAggregation.Mean => ratings.Average(),
            ScoreAggregation.Minimum => ratings.Min(),
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown score aggregation."),
        };
    }
}
