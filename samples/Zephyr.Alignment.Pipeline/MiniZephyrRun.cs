using System.Diagnostics;
using System.Globalization;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.Stages;

namespace Zephyr.Alignment.Pipeline;

/// <summary>
/// The mini-Zephyr: the whole recipe on the built-in task world, end to end on a CPU. Pretraining → dSFT → AIF → dDPO
/// (from dSFT, and from the base model for the ablation) → evaluation of the four variants → ablation table, plots, report.
/// </summary>
internal static class MiniZephyrRun
{
    /// <summary>Names of everything a run writes into its output folder, for the output-folder rule.</summary>
    public static IReadOnlyList<string> Artefacts { get; } =
    [
        "tokenizer", "data", StageNames.Base, StageNames.Dsft, StageNames.Aif, StageNames.DdpoOnly, StageNames.DsftDdpo, "eval", "runs", "plots",
        "ablation.json", "report.md", RunSettingsFile.FileName,
    ];

    public static async Task<RunReport> RunAsync(PipelineContext context, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>(StringComparer.Ordinal);
        RunLayout layout = context.Layout;

        async Task<T> StageAsync<T>(string name, Func<Task<T>> run)
        {
            if (context.Options.Resume && StageMarker.TryRead(layout, name, out T? done))
            {
                PipelineConsole.WriteLine($"[{name}] finished in an earlier run; kept (--resume)");
                timings[name] = 0;
                return done!;
            }

            double start = clock.Elapsed.TotalSeconds;
            T result = await run().ConfigureAwait(false);
            StageMarker.Write(layout, name, result);
            timings[name] = clock.Elapsed.TotalSeconds - start;
            return result;
        }

        string baseModel = await StageAsync(StageNames.Base, () => OnTorchThread(() => PretrainStage.Run(context, cancellationToken))).ConfigureAwait(false);
        StageResult sft = await StageAsync(StageNames.Dsft, () => SftStage.RunAsync(context, baseModel, cancellationToken)).ConfigureAwait(false);
        AifStage.Summary aif = await StageAsync(StageNames.Aif, () => OnTorchThread(() => AifStage.RunAsync(context, baseModel, sft.Output, cancellationToken).GetAwaiter().GetResult())).ConfigureAwait(false);
        StageResult ddpoOnly = await StageAsync(StageNames.DdpoOnly, () => DpoStage.RunAsync(context, StageNames.DdpoOnly, baseModel, aif, cancellationToken)).ConfigureAwait(false);
        StageResult zephyr = await StageAsync(StageNames.DsftDdpo, () => DpoStage.RunAsync(context, StageNames.DsftDdpo, sft.Output, aif, cancellationToken)).ConfigureAwait(false);

        double evalStart = clock.Elapsed.TotalSeconds;
        List<VariantMetrics> rows = await OnTorchThread(() => EvaluationStage.Run(context,
        [
            new(StageNames.Base, baseModel, null),
            new(StageNames.Dsft, sft.Output, null),
            new(StageNames.DdpoOnly, ddpoOnly.Output, ddpoOnly.Evaluation),
            new(StageNames.DsftDdpo, zephyr.Output, zephyr.Evaluation),
        ], cancellationToken)).ConfigureAwait(false);
        timings["eval"] = clock.Elapsed.TotalSeconds - evalStart;

        var report = new RunReport(context, rows, aif, sft.Evaluation, timings);
        report.Write();
        timings["report"] = clock.Elapsed.TotalSeconds - evalStart - timings["eval"];
        report.TotalSeconds = clock.Elapsed.TotalSeconds;
        return report;
    }

    private static Task<T> OnTorchThread<T>(Func<T> work)
        // Torch's grad mode and dispose scopes belong to a thread, so a stage stays on one dedicated thread.
        => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
