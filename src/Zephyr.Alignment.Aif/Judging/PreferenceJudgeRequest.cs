namespace Zephyr.Alignment.Aif.Judging;

/// <summary>A prompt and its N candidates, to be rated together (the teacher sees them as "Text 1..N" in this order).</summary>
public sealed record PreferenceJudgeRequest
{
    /// <summary>Creates a request.</summary>
    /// <param name="promptId">The prompt's id (see <see cref="PromptIds.FromPrompt"/>).</param>
    /// <param name="prompt">The user prompt.</param>
    /// <param name="candidates">The candidates, at least one.</param>
    /// <exception cref="ArgumentException">The prompt is empty or there are no candidates.</exception>
    public PreferenceJudgeRequest(string promptId, string prompt, IReadOnlyList<Candidate> candidates)
    {
        ArgumentException.ThrowIfNullOrEmpty(promptId);
        ArgumentException.ThrowIfNullOrWhiteSpace(prompt);
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("A judge request needs at least one candidate.", nameof(candidates));
        }

        PromptId = promptId;
        Prompt = prompt;
        Candidates = candidates;
    }

    /// <summary>The prompt's id.</summary>
    public string PromptId { get; }

    /// <summary>The user prompt.</summary>
    public string Prompt { get; }

    /// <summary>The candidates; the judgement's <see cref="PreferenceJudgement.Candidates"/> has one entry per candidate, in this order.</summary>
    public IReadOnlyList<Candidate> Candidates { get; }
}
