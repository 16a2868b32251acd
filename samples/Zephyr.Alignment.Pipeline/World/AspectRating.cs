namespace Zephyr.Alignment.Pipeline.World;

/// <summary>One UltraFeedback aspect rating given by the programmatic teacher.</summary>
/// <param name="Aspect">The aspect: <c>instruction_following</c>, <c>honesty</c>, <c>truthfulness</c> or <c>helpfulness</c>.</param>
/// <param name="Rating">1 to 5, or <see langword="null"/> for N/A (honesty on a creative task, as UltraFeedback allows).</param>
/// <param name="Rationale">Why, in one sentence.</param>
internal sealed record AspectRating(string Aspect, int? Rating, string Rationale);
