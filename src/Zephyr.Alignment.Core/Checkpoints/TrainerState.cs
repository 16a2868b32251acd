using System.Text.Json.Serialization;

namespace Zephyr.Alignment.Training;

/// <summary>
/// <c>trainer_state.json</c> of a checkpoint: where training stood, what it needs to continue exactly, and the data
/// settings a resume must share (a different dataset size, batch size, accumulation or seed would visit other examples).
/// </summary>
internal sealed class TrainerState
{
    /// <summary>Version of this layout; bumped when a field changes meaning.</summary>
    [JsonPropertyName("format_version")]
    public int FormatVersion { get; set; } = 1;

    [JsonPropertyName("global_step")]
    public long GlobalStep { get; set; }

    [JsonPropertyName("epoch")]
    public double Epoch { get; set; }

    [JsonPropertyName("max_steps")]
    public long MaxSteps { get; set; }

    /// <summary>The epoch (0-based) of the next micro-batch to read.</summary>
    [JsonPropertyName("data_epoch")]
    public int DataEpoch { get; set; }

    /// <summary>The index, within <see cref="DataEpoch"/>, of the next micro-batch to read.</summary>
    [JsonPropertyName("data_micro_batch")]
    public int DataMicroBatch { get; set; }

    [JsonPropertyName("train_examples")]
    public int TrainExamples { get; set; }

    [JsonPropertyName("train_batch_size")]
    public int TrainBatchSize { get; set; }

    [JsonPropertyName("gradient_accumulation_steps")]
    public int GradientAccumulationSteps { get; set; }

    [JsonPropertyName("seed")]
    public long Seed { get; set; }

    [JsonPropertyName("lr_scheduler_type")]
    public string LrSchedulerType { get; set; } = "";

    [JsonPropertyName("warmup_steps")]
    public long WarmupSteps { get; set; }

    /// <summary>The peak learning rate; 0 in checkpoints written before it was recorded.</summary>
    [JsonPropertyName("learning_rate")]
    public double LearningRate { get; set; }

    [JsonPropertyName("last_learning_rate")]
    public double LastLearningRate { get; set; }

    /// <summary>Running totals of the objective's counts (<c>num_tokens</c>).</summary>
    [JsonPropertyName("counts")]
    public Dictionary<string, double> Counts { get; set; } = [];

    /// <summary>The last logged metrics, returned by a resumed run that has nothing left to train.</summary>
    [JsonPropertyName("last_metrics")]
    public Dictionary<string, double> LastMetrics { get; set; } = [];

    /// <summary>The objective's <see cref="ICheckpointState"/> snapshot, if it has one.</summary>
    [JsonPropertyName("objective_state")]
    public Dictionary<string, double> ObjectiveState { get; set; } = [];

    [JsonPropertyName("trainable_parameters")]
    public List<string> TrainableParameters { get; set; } = [];
}
