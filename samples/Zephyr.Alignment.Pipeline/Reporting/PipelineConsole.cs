using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>
/// The run's console: on a terminal, one Spectre.Console progress bar per stage (value, detail such as the loss, elapsed
/// time and ETA); when output is redirected (CI, tests, files), plain lines at each log and at most every tenth of a stage.
/// </summary>
internal sealed class PipelineConsole
{
    private ProgressContext? context;

    /// <summary>True when live progress bars can be drawn.</summary>
    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="work"/>, with live progress bars when the console is interactive.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!Interactive)
        {
            return await work().ConfigureAwait(false);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                context = progress;
                try
                {
                    result = await work().ConfigureAwait(false);
                }
                finally
                {
                    context = null;
                }
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>Starts a stage's progress.</summary>
    /// <param name="name">The stage (<c>pretrain</c>, <c>dsft</c>, ...).</param>
    /// <param name="unit">What is counted (<c>steps</c>, <c>prompts</c>).</param>
    public StageProgress Start(string name, string unit)
        => context is { } progress ? new LiveStage(progress.AddTask(Markup.Escape(name), maxValue: 1), name, unit) : new PlainStage(name, unit);

    /// <summary>Writes a line outside any stage.</summary>
    public static void WriteLine(string line) => AnsiConsole.WriteLine(line);

    private sealed class LiveStage(ProgressTask task, string name, string unit) : StageProgress
    {
        public override void SetTotal(double total) => task.MaxValue = Math.Max(1, total);

        public override void Report(double value, string? detail = null)
        {
            task.Value = value;
            task.Description = Markup.Escape(Describe(name, value, task.MaxValue, unit, detail));
        }

        public override void Note(string line) => AnsiConsole.MarkupLine("  " + Markup.Escape(line));

        public override void Finish(string summary)
        {
            task.Value = task.MaxValue;
            task.Description = Markup.Escape($"{name}: {summary}");
            task.StopTask();
        }
    }

    private sealed class PlainStage(string name, string unit) : StageProgress
    {
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private double total = 1;
        private double lastPrinted = double.NegativeInfinity;
        private bool detailSeen;

        public override void SetTotal(double total)
        {
            this.total = Math.Max(1, total);
            Console.WriteLine($"[{name}] {total.ToString(CultureInfo.InvariantCulture)} {unit}");
        }

        public override void Report(double value, string? detail = null)
        {
            // A detail (a logged loss) is always worth a line; a bare count only every tenth of a stage that logs no details.
            detailSeen |= detail is not null;
            if (detail is null && (detailSeen || value - lastPrinted < total / 10))
            {
                return;
            }

            lastPrinted = value;
            double seconds = clock.Elapsed.TotalSeconds;
            string eta = value > 0 && value < total ? $", ETA {FormatSeconds(seconds / value * (total - value))}" : "";
            Console.WriteLine($"[{name}] {Describe(name, value, total, unit, detail)} ({FormatSeconds(seconds)}{eta})");
        }

        public override void Note(string line) => Console.WriteLine($"[{name}] {line}");

        public override void Finish(string summary) => Console.WriteLine($"[{name}] done in {FormatSeconds(clock.Elapsed.TotalSeconds)}: {summary}");
    }

    private static string Describe(string name, double value, double total, string unit, string? detail)
        => string.Create(CultureInfo.InvariantCulture, $"{name}  {value:0}/{total:0} {unit}{(detail is null ? "" : "  " + detail)}");

    private static string FormatSeconds(double seconds) => TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
