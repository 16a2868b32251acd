namespace Zephyr.Alignment;

/// <summary>Observes a training run. Every member has an empty default, so implement only what you need.</summary>
public interface ITrainingCallback
{
    /// <summary>Training is about to start.</summary>
    void OnTrainBegin(TrainingProgress progress)
    {
    }

    /// <summary>An optimizer step completed.</summary>
    void OnStepEnd(TrainingProgress progress)
    {
    }

    /// <summary>Metrics were logged (training metrics averaged since the last log, or <c>eval_</c> metrics).</summary>
    void OnLog(TrainingProgress progress, IReadOnlyDictionary<string, double> metrics)
    {
    }

    /// <summary>A checkpoint was written to <paramref name="directory"/>.</summary>
    void OnCheckpointSaved(TrainingProgress progress, string directory)
    {
    }

    /// <summary>Training ended (finished or cancelled).</summary>
    void OnTrainEnd(TrainingProgress progress)
    {
    }
}

/// <summary>Where a training run stands.</summary>
/// <param name="GlobalStep">Optimizer steps taken.</param>
/// <param name="MaxSteps">Total optimizer steps planned.</param>
/// <param name="Epoch">Epochs completed, fractional.</param>
public readonly record struct TrainingProgress(long GlobalStep, long MaxSteps, double Epoch);
