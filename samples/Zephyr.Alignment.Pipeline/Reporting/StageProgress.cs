namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>The progress of one stage: a count toward a total, and a short line of detail (loss, accuracy, ...).</summary>
internal abstract class StageProgress
{
    /// <summary>Sets the total (optimizer steps, prompts, ...).</summary>
    public abstract void SetTotal(double total);

    /// <summary>Sets how far the stage is and, when given, the detail shown beside it.</summary>
    public abstract void Report(double value, string? detail = null);

    /// <summary>Prints a line that stays (an evaluation result, a warning).</summary>
    public abstract void Note(string line);

    /// <summary>Marks the stage as done, with its closing summary.</summary>
    public abstract void Finish(string summary);
}
