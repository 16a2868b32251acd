using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Pipeline.World;

/// <summary>
/// The programmatic teacher behind the AIF judging interface, so the world's candidates go through the same
/// <see cref="IPreferenceJudge"/> → scores → binarizer path as an LLM teacher's (<c>ChatPreferenceJudge</c>). Like an LLM
/// judge it sees only the prompt text and the completions; it finds the task to check by its prompt.
/// </summary>
internal sealed class WorldJudge(ProgrammaticTeacher teacher, IReadOnlyDictionary<string, WorldTask> tasksByPrompt) : IPreferenceJudge
{
    public Task<PreferenceJudgement> JudgeAsync(PreferenceJudgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        if (!tasksByPrompt.TryGetValue(request.Prompt, out WorldTask? task))
        {
            throw new ArgumentException($"Prompt '{request.PromptId}' is not a task of this world: \"{request.Prompt}\".", nameof(request));
        }

        CandidateJudgement[] judgements = [.. request.Candidates.Select(c => teacher.Judge(task, c.Completion).Judgement)];
        return Task.FromResult(new PreferenceJudgement(judgements));
    }
}
