namespace Zephyr.Alignment.Aif.Judging;

/// <summary>
/// A teacher: rates the candidates of one prompt on the UltraFeedback aspects. <c>ChatPreferenceJudge</c>
/// asks any chat model; a programmatic judge (a rule, a reward function, a known answer) implements this directly
/// and needs no model.
/// </summary>
/// <remarks>
/// A judge never guesses: an aspect it cannot rate for a candidate is returned as a <see cref="JudgeFailure"/> with
/// the raw answer, and such a candidate gets no score. A judge may rate only some of <see cref="FeedbackAspects.All"/>;
/// the score aggregates the numeric ratings it returned (see <see cref="CandidateScores"/>).
/// </remarks>
/// <example>
/// <code>
/// sealed class LengthJudge : IPreferenceJudge
/// {
///     public Task&lt;PreferenceJudgement&gt; JudgeAsync(PreferenceJudgeRequest request, CancellationToken cancellationToken = default)
///         =&gt; Task.FromResult(new PreferenceJudgement(request.Candidates
///             .Select(c =&gt; new CandidateJudgement([AspectRating.Of(FeedbackAspect.Helpfulness, c.Completion.Length &gt; 20 ? 5 : 2, "long enough")]))
///             .ToArray()));
/// }
/// </code>
/// </example>
public interface IPreferenceJudge
{
    /// <summary>Rates every candidate of <paramref name="request"/>.</summary>
    /// <param name="request">The prompt and its candidates.</param>
    /// <param name="cancellationToken">Stops the judging.</param>
    /// <returns>One judgement per candidate, in the request's order.</returns>
    Task<PreferenceJudgement> JudgeAsync(PreferenceJudgeRequest request, CancellationToken cancellationToken = default);
}
