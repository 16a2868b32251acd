using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment;

/// <summary>
/// One preference pair: a prompt and two completions of it, the preferred (<see cref="Chosen"/>) and the
/// dispreferred (<see cref="Rejected"/>), as in <c>HuggingFaceH4/ultrafeedback_binarized</c>.
/// </summary>
public sealed record PreferenceExample
{
    /// <summary>
    /// The conversation up to the final assistant turn (rendered with the chat template and its generation prompt).
    /// Empty for the plain form, whose prompt is <see cref="PromptText"/>.
    /// </summary>
    public required IReadOnlyList<ConversationMessage> Prompt { get; init; }

    /// <summary>The preferred final assistant answer.</summary>
    public required string Chosen { get; init; }

    /// <summary>The dispreferred final assistant answer.</summary>
    public required string Rejected { get; init; }

    /// <summary>
    /// For datasets in the plain <c>{prompt, chosen, rejected}</c> string form: the prompt text, used as is
    /// without a chat template. <see langword="null"/> for conversational data.
    /// </summary>
    public string? PromptText { get; init; }

    /// <summary>The dataset's <c>prompt_id</c>, if any.</summary>
    public string? PromptId { get; init; }

    /// <summary>The teacher's score of <see cref="Chosen"/> (<c>score_chosen</c>), if any.</summary>
    public double? ScoreChosen { get; init; }

    /// <summary>The teacher's score of <see cref="Rejected"/> (<c>score_rejected</c>), if any.</summary>
    public double? ScoreRejected { get; init; }

    /// <summary>Where the example was read from (file and row or line), for error messages.</summary>
    public string? Source { get; init; }
}
