using System.Globalization;
using Zephyr.Alignment;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.SftSample;

/// <summary>Prints one line per logged step: progress, loss and token accuracy, or the evaluation metrics.</summary>
internal sealed class ConsoleProgress : ITrainingCallback
{
    public void OnTrainBegin(TrainingProgress progress)
        => Console.WriteLine($"Training: {progress.MaxSteps} optimizer steps");

    public void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
        string Format(string name) => metrics.TryGetValue(name, out double value) ? value.ToString("G4", CultureInfo.InvariantCulture) : "-";
        string bar = new string('#', (int)(20 * progress.GlobalStep / Math.Max(1, progress.MaxSteps))).PadRight(20, '.');
        if (metrics.ContainsKey(MetricNames.Eval(MetricNames.Loss)))
        {
            Console.WriteLine(
                $"[{bar}] step {progress.GlobalStep}/{progress.MaxSteps}  eval_loss {Format("eval_loss")}  " +
                $"eval_mean_token_accuracy {Format("eval_mean_token_accuracy")}  eval_perplexity {Format("eval_perplexity")}");
        }
        else
        {
            Console.WriteLine(
                $"[{bar}] step {progress.GlobalStep}/{progress.MaxSteps}  epoch {Format(MetricNames.Epoch)}  loss {Format(MetricNames.Loss)}  " +
                $"mean_token_accuracy {Format(MetricNames.MeanTokenAccuracy)}  num_tokens {Format(MetricNames.NumTokens)}  lr {Format(MetricNames.LearningRate)}");
        }
    }
}
