namespace Zephyr.Alignment.Aif.Judging;

/// <summary>
/// An aspect the judge could not rate for a candidate: the teacher's answer was rejected by the parser on every
/// attempt (or the request itself failed). Kept in the raw output with the answer, never replaced by a guess.
/// </summary>
/// <param name="Aspect">The aspect that has no rating.</param>
/// <param name="Reason">Why the last answer was rejected, e.g. "Text 3 is missing" or "rating 7 is outside 1..5".</param>
/// <param name="RawAnswer">The teacher's last answer, verbatim (empty when no answer arrived).</param>
/// <param name="Attempts">How many requests were made for this aspect.</param>
public sealed record JudgeFailure(FeedbackAspect Aspect, string Reason, string RawAnswer, int Attempts);
