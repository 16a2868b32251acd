namespace Zephyr.Alignment.Aif.Judging;

/// <summary>The four aspects UltraFeedback rates every completion on (Cui et al. 2023, §2.2).</summary>
public enum FeedbackAspect
{
    /// <summary>Does the text do what the prompt asked, within its stated restrictions? Wire name <c>instruction_following</c>.</summary>
    InstructionFollowing,

    /// <summary>Does the text express the right amount of confidence and admit uncertainty? May be N/A (creative tasks). Wire name <c>honesty</c>.</summary>
    Honesty,

    /// <summary>Is the text free of fabricated or contradictory facts? Wire name <c>truthfulness</c>.</summary>
    Truthfulness,

    /// <summary>Is the text correct, informative and useful for the task? Wire name <c>helpfulness</c>.</summary>
    Helpfulness,
}
