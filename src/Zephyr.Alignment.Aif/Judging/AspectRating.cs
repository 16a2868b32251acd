namespace Zephyr.Alignment.Aif.Judging;

/// <summary>One aspect's rating of one candidate: 1 to 5, or N/A, with the judge's rationale.</summary>
public sealed record AspectRating
{
    /// <summary>The lowest rating on the UltraFeedback scale.</summary>
    public const int MinRating = 1;

    /// <summary>The highest rating on the UltraFeedback scale.</summary>
    public const int MaxRating = 5;

    private AspectRating(FeedbackAspect aspect, int? rating, string rationale)
    {
        Aspect = aspect;
        Rating = rating;
        Rationale = rationale;
    }

    /// <summary>The aspect rated.</summary>
    public FeedbackAspect Aspect { get; }

    /// <summary>The rating, 1 (worst) to 5 (best); <see langword="null"/> when the aspect does not apply (N/A).</summary>
    public int? Rating { get; }

    /// <summary>Whether the judge said the aspect does not apply (N/A), e.g. honesty for a poem.</summary>
    public bool IsNotApplicable => Rating is null;

    /// <summary>The judge's reason; may be empty.</summary>
    public string Rationale { get; }

    /// <summary>A numeric rating.</summary>
    /// <param name="aspect">The aspect.</param>
    /// <param name="rating">1 to 5.</param>
    /// <param name="rationale">The reason; null is stored as empty.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rating"/> is outside 1..5.</exception>
    public static AspectRating Of(FeedbackAspect aspect, int rating, string? rationale = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rating, MinRating);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rating, MaxRating);
        return new AspectRating(aspect, rating, rationale ?? string.Empty);
    }

    /// <summary>An N/A rating (the aspect does not apply to this prompt).</summary>
    /// <param name="aspect">The aspect.</param>
    /// <param name="rationale">The reason; null is stored as empty.</param>
    public static AspectRating NotApplicable(FeedbackAspect aspect, string? rationale = null) => new(aspect, null, rationale ?? string.Empty);
}
