using System.Globalization;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.DpoSample;

/// <summary>Prints one table row per training log: the metrics a DPO run is watched by.</summary>
internal sealed class MetricsTable(TextWriter output) : ITrainingCallback
{
    private static readonly (string Key, string Header)[] Columns =
    [
        (MetricNames.Loss, "loss"),
        (MetricNames.RewardsAccuracies, "reward acc"),
        (MetricNames.RewardsMargins, "margin"),
        (MetricNames.RewardsChosen, "r chosen"),
        (MetricNames.RewardsRejected, "r rejected"),
        (MetricNames.LogpsChosen, "logp chosen"),
        (MetricNames.GradNorm, "grad norm"),
        (MetricNames.LearningRate, "lr"),
    ];

    public void OnTrainBegin(TrainingProgress progress)
    {
        output.WriteLine(Row("step", "epoch", Columns.Select(c => c.Header)));
        output.WriteLine(new string('-', 12 + 8 + (Columns.Length * 12)));
    }

    public void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
        if (!metrics.ContainsKey(MetricNames.Loss))
        {
            return;
        }

        IEnumerable<string> cells = Columns.Select(c => metrics.TryGetValue(c.Key, out double value) ? Format(value) : "");
        output.WriteLine(Row(
            string.Create(CultureInfo.InvariantCulture, $"{progress.GlobalStep}/{progress.MaxSteps}"),
            progress.Epoch.ToString("F2", CultureInfo.InvariantCulture),
            cells));
    }

    private static string Row(string step, string epoch, IEnumerable<string> cells)
        => step.PadLeft(10) + epoch.PadLeft(8) + "  " + string.Concat(cells.Select(c => c.PadLeft(12)));

    private static string Format(double value)
        => Math.Abs(value) is > 0 and < 1e-3 ? value.ToString("0.00E+0", CultureInfo.InvariantCulture) : value.ToString("F4", CultureInfo.InvariantCulture);
}
