namespace Zephyr.Alignment.Aif.Candidates;

/// <summary>The teacher that rates candidates: an OpenAI-compatible endpoint, or a local checkpoint.</summary>
public sealed class TeacherOptions
{
    /// <summary>The base URL of an OpenAI-compatible API. Exclusive with <see cref="ModelPath"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The model name sent to <see cref="Endpoint"/> (e.g. <c>gpt-4o</c>).</summary>
    public string? Model { get; set; }

    /// <summary>A local checkpoint folder used as the teacher (a trained model as a judge). Exclusive with <see cref="Endpoint"/>.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The environment variable that holds the API key. Default null: <c>OPENAI_API_KEY</c>.</summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>The teacher's temperature. Default 0, as UltraFeedback's GPT-4 ratings.</summary>
    public double Temperature { get; set; }

    /// <summary>The most tokens per answer. Default 1024.</summary>
    public int MaxNewTokens { get; set; } = 1024;

    /// <summary>Requests per aspect before an unparseable answer is recorded as a failure. Default 3.</summary>
    public int MaxAttempts { get; set; } = 3;
}
