using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>
/// One row of <c>HuggingFaceH4/ultrafeedback_binarized</c>: <c>prompt</c>, <c>prompt_id</c>, <c>chosen</c>,
/// <c>rejected</c>, <c>messages</c>, <c>score_chosen</c>, <c>score_rejected</c>.
/// </summary>
/// <param name="Prompt">The user prompt.</param>
/// <param name="PromptId">The prompt's id.</param>
/// <param name="Chosen">The whole preferred conversation: the user prompt, then the chosen completion.</param>
/// <param name="Rejected">The whole dispreferred conversation: the user prompt, then the rejected completion.</param>
/// <param name="Messages">As on the Hub, the chosen conversation again (for SFT on the preferred answers).</param>
/// <param name="ScoreChosen">The chosen candidate's score.</param>
/// <param name="ScoreRejected">The rejected candidate's score.</param>
public sealed record BinarizedPreference(
    string Prompt,
    string PromptId,
    IReadOnlyList<ConversationMessage> Chosen,
    IReadOnlyList<ConversationMessage> Rejected,
    IReadOnlyList<ConversationMessage> Messages,
    double ScoreChosen,
    double ScoreRejected)
{
    /// <summary>The row for a single-turn prompt and two completions.</summary>
    /// <param name="prompt">The user prompt.</param>
    /// <param name="promptId">The prompt's id.</param>
    /// <param name="chosen">The chosen completion.</param>
    /// <param name="scoreChosen">Its score.</param>
    /// <param name="rejected">The rejected completion.</param>
    /// <param name="scoreRejected">Its score.</param>
    public static BinarizedPreference Create(string prompt, string promptId, string chosen, double scoreChosen, string rejected, double scoreRejected)
    {
        ConversationMessage[] chosenConversation = [ConversationMessage.User(prompt), ConversationMessage.Assistant(chosen)];
        return new BinarizedPreference(
            prompt,
            promptId,
            chosenConversation,
            [ConversationMessage.User(prompt), ConversationMessage.Assistant(rejected)],
            chosenConversation,
            scoreChosen,
            scoreRejected);
    }
}
