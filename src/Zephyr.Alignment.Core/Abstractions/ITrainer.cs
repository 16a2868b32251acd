namespace Zephyr.Alignment;

/// <summary>Trains a policy model: SFT, DPO, or a trainer of your own on the shared training loop.</summary>
public interface ITrainer
{
    /// <summary>Runs training to the configured number of epochs or steps, resuming from a checkpoint when configured.</summary>
    /// <param name="cancellationToken">Stops training after the current optimizer step; the state so far is kept.</param>
    /// <returns>The final step, epoch and metrics.</returns>
    Task<TrainingResult> TrainAsync(CancellationToken cancellationToken = default);

    /// <summary>Evaluates the current policy on the evaluation data.</summary>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    /// <returns>Metrics with the <c>eval_</c> prefix.</returns>
    Task<IReadOnlyDictionary<string, double>> EvaluateAsync(CancellationToken cancellationToken = default);
}
