namespace Zephyr.Alignment.Aif.Judging;

/// <summary>The aspect list and the snake_case names UltraFeedback's files use for them.</summary>
public static class FeedbackAspects
{
    /// <summary>All four aspects, in UltraFeedback's order.</summary>
    public static IReadOnlyList<FeedbackAspect> All { get; } =
        [FeedbackAspect.InstructionFollowing, FeedbackAspect.Honesty, FeedbackAspect.Truthfulness, FeedbackAspect.Helpfulness];

    /// <summary>The snake_case name (<c>instruction_following</c>, <c>honesty</c>, <c>truthfulness</c>, <c>helpfulness</c>).</summary>
    /// <param name="aspect">The aspect.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined aspect.</exception>
    public static string ToWireName(this FeedbackAspect aspect) => aspect switch
    {
        FeedbackAspect.InstructionFollowing => "instruction_following",
        FeedbackAspect.Honesty => "honesty",
        FeedbackAspect.Truthfulness => "truthfulness",
        FeedbackAspect.Helpfulness => "helpfulness",
        _ => throw new ArgumentOutOfRangeException(nameof(aspect), aspect, "Unknown feedback aspect."),
    };

    /// <summary>Reads a snake_case aspect name, ignoring case.</summary>
    /// <param name="name">The name.</param>
    /// <param name="aspect">The aspect, when the name is known.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? name, out FeedbackAspect aspect)
    {
        foreach (FeedbackAspect candidate in All)
        {
            if (string.Equals(candidate.ToWireName(), name, StringComparison.OrdinalIgnoreCase))
            {
                aspect = candidate;
                return true;
            }
        }

        aspect = default;
        return false;
    }
}
