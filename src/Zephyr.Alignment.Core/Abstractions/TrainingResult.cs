namespace Zephyr.Alignment;

/// <summary>The outcome of <see cref="ITrainer.TrainAsync"/>.</summary>
/// <param name="GlobalStep">Optimizer steps taken in total.</param>
/// <param name="Epoch">Epochs completed, fractional.</param>
/// <param name="Metrics">The last logged metrics, TRL names.</param>
/// <param name="OutputDirectory">Where the final model was written, if anywhere.</param>
public sealed record TrainingResult(long GlobalStep, double Epoch, IReadOnlyDictionary<string, double> Metrics, string? OutputDirectory);
