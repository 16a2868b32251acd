using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Pipeline.World;

/// <summary>What the programmatic teacher found in one answer.</summary>
/// <param name="FormatOk">The whole answer matches the format the task asks for.</param>
/// <param name="ContentOk">The answer carries the right content (number, list, words or refusal), whatever its format.</param>
/// <param name="Ratings">The four UltraFeedback aspect ratings, in the order instruction-following, honesty, truthfulness, helpfulness.</param>
internal sealed record TeacherVerdict(bool FormatOk, bool ContentOk, IReadOnlyList<AspectRating> Ratings)
{
    /// <summary>Right format and right content: the task accuracy criterion.</summary>
    public bool Correct => FormatOk && ContentOk;

    /// <summary>The ratings as the AIF stage records them.</summary>
    public CandidateJudgement Judgement => new(Ratings);

    /// <summary>The mean of the numeric aspect ratings (N/A left out), the convention of ultrafeedback_binarized's rebuild; the same rule the AIF binarizer uses.</summary>
    public double Score => CandidateScores.Compute(Judgement, ScoreAggregation.Mean)!.Value;
}
