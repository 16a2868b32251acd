using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Sft;

/// <summary>
/// Passes every event on to the trainer's callbacks, adding <c>eval_perplexity</c> = exp(<c>eval_loss</c>) to evaluation
/// logs: a perplexity cannot be averaged per batch, so it is derived from the mean loss once the loop has it.
/// </summary>
internal sealed class PerplexityCallback(IReadOnlyList<ITrainingCallback> inner, ILogger logger) : ITrainingCallback
{
    public void OnTrainBegin(TrainingProgress progress)
    {
        foreach (ITrainingCallback callback in inner)
        {
            callback.OnTrainBegin(progress);
        }
    }

    public void OnStepEnd(TrainingProgress progress)
    {
        foreach (ITrainingCallback callback in inner)
        {
            callback.OnStepEnd(progress);
        }
    }

    public void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
        if (metrics.TryGetValue(MetricNames.Eval(MetricNames.Loss), out double evalLoss))
        {
            var withPerplexity = new Dictionary<string, double>(metrics, StringComparer.Ordinal)
            {
                [MetricNames.Eval(SftMetricNames.Perplexity)] = Math.Exp(evalLoss),
            };
            SftLog.Perplexity(logger, progress.GlobalStep, Math.Exp(evalLoss));
            metrics = withPerplexity;
        }

        foreach (ITrainingCallback callback in inner)
        {
            callback.OnLog(progress, metrics);
        }
    }

    public void OnCheckpointSaved(TrainingProgress progress, string directory)
    {
        foreach (ITrainingCallback callback in inner)
        {
            callback.OnCheckpointSaved(progress, directory);
        }
    }

    public void OnTrainEnd(TrainingProgress progress)
    {
        foreach (ITrainingCallback callback in inner)
        {
            callback.OnTrainEnd(progress);
        }
    }
}
