using System.Globalization;

namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>Shows a training stage on its <see cref="StageProgress"/>: steps, the last loss and the stage's headline metric.</summary>
internal sealed class TrainingProgressCallback(StageProgress progress, string? headlineMetric = null) : ITrainingCallback
{
    private string? detail;

    public void OnTrainBegin(TrainingProgress state)
    {
        progress.SetTotal(state.MaxSteps);
        progress.Report(state.GlobalStep);
    }

    public void OnStepEnd(TrainingProgress state) => progress.Report(state.GlobalStep, PipelineConsole.Interactive ? detail : null);

    public void OnLog(TrainingProgress state, IReadOnlyDictionary<string, double> metrics)
    {
        if (metrics.Keys.Any(k => k.StartsWith(MetricNames.EvalPrefix, StringComparison.Ordinal)))
        {
            progress.Note(string.Create(CultureInfo.InvariantCulture, $"step {state.GlobalStep}: ") +
                string.Join("  ", metrics.Where(m => m.Key != MetricNames.Epoch).Select(m => $"{m.Key} {m.Value.ToString("G4", CultureInfo.InvariantCulture)}")));
            return;
        }

        detail = Format(metrics, MetricNames.Loss) + (headlineMetric is null ? "" : "  " + Format(metrics, headlineMetric));
        progress.Report(state.GlobalStep, detail);
    }

    private static string Format(IReadOnlyDictionary<string, double> metrics, string name)
        => metrics.TryGetValue(name, out double value) ? $"{name} {value.ToString("0.000", CultureInfo.InvariantCulture)}" : "";
}
