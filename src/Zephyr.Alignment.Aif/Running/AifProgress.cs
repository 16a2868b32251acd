namespace Zephyr.Alignment.Aif.Running;

/// <summary>Where a run stands.</summary>
/// <param name="Done">Prompts finished, including those found finished when the run resumed.</param>
/// <param name="Total">Prompts in the run.</param>
/// <param name="Resumed">Prompts that were already finished when the run started.</param>
/// <param name="FailedRatings">(Candidate, aspect) ratings the teacher failed to give so far.</param>
/// <param name="GenerationFailures">Completions a generator failed to write so far.</param>
/// <param name="Eta">The estimated time left, from this session's pace; null until a prompt has finished.</param>
public sealed record AifProgress(int Done, int Total, int Resumed, int FailedRatings, int GenerationFailures, TimeSpan? Eta)
{
    /// <summary>Prompts still to do.</summary>
    public int Remaining => Total - Done;
}
