using System.Globalization;
using Spectre.Console;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// Shows a training run: a live progress bar with step, loss, the headline metric and ETA on a terminal, or one
/// line per log when output is redirected (CI logs, files).
/// </summary>
internal sealed class TrainingProgressDisplay(string headlineMetric) : ITrainingCallback
{
    private ProgressTask? task;
    private IReadOnlyDictionary<string, double> last = new Dictionary<string, double>();

    /// <summary>True when a live display can be drawn.</summary>
    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="train"/> under the display.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> train)
    {
        if (!Interactive)
        {
            return await train().ConfigureAwait(false);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                task = context.AddTask("starting", maxValue: 1);
                result = await train().ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    public void OnTrainBegin(TrainingProgress progress)
    {
        if (task is not null)
        {
            task.MaxValue = Math.Max(1, progress.MaxSteps);
            task.Value = progress.GlobalStep;
        }
        else
        {
            Console.WriteLine($"training: {progress.MaxSteps} optimizer steps");
        }
    }

    public void OnStepEnd(TrainingProgress progress)
    {
        if (task is not null)
        {
            task.Value = progress.GlobalStep;
            task.Description = Describe(progress, last);
        }
    }

    public void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
        bool evaluation = metrics.Keys.Any(k => k.StartsWith(MetricNames.EvalPrefix, StringComparison.Ordinal));
        if (!evaluation)
        {
            last = metrics;
        }

        if (task is not null)
        {
            task.Description = Describe(progress, last);
            if (evaluation)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"step {progress.GlobalStep}: " + Format(metrics)));
            }
        }
        else
        {
            Console.WriteLine($"step {progress.GlobalStep}/{progress.MaxSteps}: {Format(metrics)}");
        }
    }

    public void OnCheckpointSaved(TrainingProgress progress, string directory)
    {
        string line = $"step {progress.GlobalStep}: checkpoint {directory}";
        if (task is not null)
        {
            AnsiConsole.MarkupLine(Markup.Escape(line));
        }
        else
        {
            Console.WriteLine(line);
        }
    }

    private string Describe(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
        string text = $"step {progress.GlobalStep}/{progress.MaxSteps}";
        if (metrics.TryGetValue(MetricNames.Loss, out double loss))
        {
            text += $"  loss {loss.ToString("0.0000", CultureInfo.InvariantCulture)}";
        }

        if (metrics.TryGetValue(headlineMetric, out double headline))
        {
            text += $"  {headlineMetric} {headline.ToString("0.000", CultureInfo.InvariantCulture)}";
        }

        return Markup.Escape(text);
    }

    private static string Format(IReadOnlyDictionary<string, double> metrics)
        => string.Join("  ", metrics.Select(m => $"{m.Key} {m.Value.ToString("G5", CultureInfo.InvariantCulture)}"));
}
