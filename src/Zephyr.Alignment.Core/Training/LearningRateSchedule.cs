namespace Zephyr.Alignment.Training;

/// <summary>
/// The learning-rate multiplier of each optimizer step, as Hugging Face's <c>get_scheduler</c> computes it
/// (<c>transformers/optimization.py</c>): optimizer step <c>s</c> (0-based) runs at
/// <c>LearningRate × Multiplier(s)</c>.
/// </summary>
/// <remarks>
/// The schedule is a pure function of the step, so a resumed run needs only the step to continue it exactly.
/// </remarks>
public sealed class LearningRateSchedule
{
    /// <summary>Creates a schedule.</summary>
    /// <param name="type">A name from <see cref="LrSchedulerTypes"/>.</param>
    /// <param name="warmupSteps">Steps of linear warmup from 0.</param>
    /// <param name="totalSteps">Optimizer steps in the whole run.</param>
    /// <exception cref="ArgumentException">The type is unknown.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A step count is negative.</exception>
    public LearningRateSchedule(string type, long warmupSteps, long totalSteps)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(totalSteps);
        if (!LrSchedulerTypes.All.Contains(type, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Unknown learning-rate schedule '{type}'; use one of {string.Join(", ", LrSchedulerTypes.All)}.", nameof(type));
        }

        Type = type;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    /// <summary>The schedule name (<see cref="LrSchedulerTypes"/>).</summary>
    public string Type { get; }

    /// <summary>Steps of linear warmup.</summary>
    public long WarmupSteps { get; }

    /// <summary>Optimizer steps in the whole run.</summary>
    public long TotalSteps { get; }

    /// <summary>
    /// Hugging Face's warmup length: <paramref name="warmupSteps"/> when positive, otherwise
    /// <c>ceil(warmupRatio × totalSteps)</c> (<c>TrainingArguments.get_warmup_steps</c>).
    /// </summary>
    /// <param name="warmupRatio">Fraction of the run spent warming up.</param>
    /// <param name="warmupSteps">An explicit warmup length, used when positive.</param>
    /// <param name="totalSteps">Optimizer steps in the whole run.</param>
    public static long ResolveWarmupSteps(double warmupRatio, long warmupSteps, long totalSteps)
        => warmupSteps > 0 ? warmupSteps : (long)Math.Ceiling(totalSteps * warmupRatio);

    /// <summary>The multiplier of the base learning rate at optimizer step <paramref name="step"/> (0-based).</summary>
    /// <param name="step">Optimizer steps taken before this one.</param>
    public double Multiplier(long step) => Type switch
    {
        LrSchedulerTypes.Linear => Linear(step, WarmupSteps, TotalSteps),
        LrSchedulerTypes.Cosine => Cosine(step, WarmupSteps, TotalSteps),
        LrSchedulerTypes.ConstantWithWarmup => step < WarmupSteps ? (double)step / Math.Max(1, WarmupSteps) : 1.0,
        _ => 1.0,
    };

    /// <summary>
    /// <c>get_linear_schedule_with_warmup</c>: <c>s / max(1, w)</c> during warmup, then
    /// <c>max(0, (T − s) / max(1, T − w))</c>.
    /// </summary>
    /// <param name="step">The step <c>s</c>.</param>
    /// <param name="warmupSteps">The warmup length <c>w</c>.</param>
    /// <param name="totalSteps">The total <c>T</c>.</param>
    public static double Linear(long step, long warmupSteps, long totalSteps)
    {
        if (step < warmupSteps)
        {
            return (double)step / Math.Max(1, warmupSteps);
        }

        return Math.Max(0.0, (double)(totalSteps - step) / Math.Max(1, totalSteps - warmupSteps));
    }

    /// <summary>
    /// <c>get_cosine_schedule_with_warmup</c>: <c>s / max(1, w)</c> during warmup, then
    /// <c>max(0, ½(1 + cos(π · 2c · p)))</c> with progress <c>p = (s − w) / max(1, T − w)</c> and <c>c</c> cycles (½ by default: one half cosine).
    /// </summary>
    /// <param name="step">The step <c>s</c>.</param>
    /// <param name="warmupSteps">The warmup length <c>w</c>.</param>
    /// <param name="totalSteps">The total <c>T</c>.</param>
    /// <param name="numCycles">The number of cosine cycles <c>c</c>; Hugging Face's default is 0.5.</param>
    public static double Cosine(long step, long warmupSteps, long totalSteps, double numCycles = 0.5)
    {
        if (step < warmupSteps)
        {
            return (double)step / Math.Max(1, warmupSteps);
        }

        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * numCycles * 2.0 * progress)));
    }
}
