using TorchSharp.Modules;
using static TorchSharp.torch.utils.tensorboard;

namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>
/// Writes every logged metric of a stage as a TensorBoard scalar (tag = the metric name, <c>eval_</c> ones included) through
/// TorchSharp's <see cref="TorchSharp.Modules.SummaryWriter"/> (which appends and closes the file at every event, so nothing needs flushing), so <c>tensorboard --logdir runs</c> shows each stage as a run.
/// </summary>
internal sealed class TensorBoardCallback : ITrainingCallback
{
    private readonly SummaryWriter writer;

    /// <summary>Creates the writer; its event file appears in <paramref name="logDirectory"/>.</summary>
    public TensorBoardCallback(string logDirectory)
    {
        Directory.CreateDirectory(logDirectory);
        writer = SummaryWriter(logDirectory, createRunName: false);
    }

    public void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
        foreach (var (name, value) in metrics)
        {
            if (name != MetricNames.Epoch && double.IsFinite(value))
            {
                writer.add_scalar(name, (float)value, checked((int)progress.GlobalStep));
            }
        }
    }

    /// <summary>Writes one scalar outside training (evaluation results).</summary>
    public void Add(string tag, double value, int step) => writer.add_scalar(tag, (float)value, step);
}
