namespace Zephyr.Alignment.Aif.Judging;

/// <summary>Options of <see cref="ChatPreferenceJudge"/>.</summary>
public sealed class ChatPreferenceJudgeOptions
{
    /// <summary>The model name sent with each request (<c>ChatOptions.ModelId</c>); <see langword="null"/> for the client's default.</summary>
    public string? Model { get; set; }

    /// <summary>The aspects to rate, one request each. Default all four (<see cref="FeedbackAspects.All"/>).</summary>
    public IList<FeedbackAspect> Aspects { get; set; } = [.. FeedbackAspects.All];

    /// <summary>
    /// Requests per aspect before an unparseable answer is recorded as a <see cref="JudgeFailure"/>: the first try
    /// plus retries. Default 3. Transport errors are retried separately, by the client's resilience pipeline.
    /// </summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The teacher's sampling temperature. Default 0, as UltraFeedback rated with GPT-4.</summary>
    public float Temperature { get; set; }

    /// <summary>The most tokens the teacher may write per answer. Default 1024.</summary>
    public int MaxOutputTokens { get; set; } = 1024;
}
