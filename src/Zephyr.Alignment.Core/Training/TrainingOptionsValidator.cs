using Microsoft.Extensions.Options;
using static System.FormattableString;

namespace Zephyr.Alignment.Training;

/// <summary>
/// Checks <see cref="TrainingOptions"/> and reports every invalid value at once, each with its option name and value,
/// so a bad configuration fails before any model is loaded.
/// </summary>
/// <remarks>
/// Validators of derived stage options call <see cref="AddFailures"/> and then check their own options.
/// Whether <see cref="TrainingOptions.ResumeFromCheckpoint"/> exists is checked when training starts.
/// </remarks>
public sealed class TrainingOptionsValidator : IValidateOptions<TrainingOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        AddFailures(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Adds one message per invalid value of <paramref name="options"/> to <paramref name="failures"/>.</summary>
    /// <param name="options">The options to check.</param>
    /// <param name="failures">Receives the messages.</param>
    public static void AddFailures(TrainingOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);

        if (string.IsNullOrWhiteSpace(options.OutputDirectory))
        {
            failures.Add(Invariant($"OutputDirectory must name a folder; got '{options.OutputDirectory}'."));
        }

        if (options.OverwriteOutputDirectory && string.Equals(options.ResumeFromCheckpoint?.Trim(), "latest", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("OverwriteOutputDirectory deletes the checkpoints that ResumeFromCheckpoint 'latest' would resume from; set only one of them.");
        }

        if (!(options.LearningRate > 0) || !double.IsFinite(options.LearningRate))
        {
            failures.Add(Invariant($"LearningRate must be a finite number > 0; got {options.LearningRate}."));
        }

        if (!LrSchedulerTypes.All.Contains(options.LrSchedulerType, StringComparer.Ordinal))
        {
            failures.Add(Invariant($"LrSchedulerType must be one of {string.Join(", ", LrSchedulerTypes.All)}; got '{options.LrSchedulerType}'."));
        }

        if (!(options.WarmupRatio >= 0 && options.WarmupRatio <= 1))
        {
            failures.Add(Invariant($"WarmupRatio must be in [0, 1]; got {options.WarmupRatio}."));
        }

        if (options.WarmupSteps < 0)
        {
            failures.Add(Invariant($"WarmupSteps must be >= 0; got {options.WarmupSteps}."));
        }

        if (options.MaxSteps <= 0 && (!(options.NumTrainEpochs > 0) || !double.IsFinite(options.NumTrainEpochs)))
        {
            failures.Add(Invariant($"NumTrainEpochs must be a finite number > 0 when MaxSteps is not set; got {options.NumTrainEpochs}."));
        }

        if (options.PerDeviceTrainBatchSize < 1)
        {
            failures.Add(Invariant($"PerDeviceTrainBatchSize must be >= 1; got {options.PerDeviceTrainBatchSize}."));
        }

        if (options.PerDeviceEvalBatchSize < 1)
        {
            failures.Add(Invariant($"PerDeviceEvalBatchSize must be >= 1; got {options.PerDeviceEvalBatchSize}."));
        }

        if (options.GradientAccumulationSteps < 1)
        {
            failures.Add(Invariant($"GradientAccumulationSteps must be >= 1; got {options.GradientAccumulationSteps}."));
        }

        if (!(options.MaxGradNorm >= 0) || !double.IsFinite(options.MaxGradNorm))
        {
            failures.Add(Invariant($"MaxGradNorm must be a finite number >= 0 (0 turns clipping off); got {options.MaxGradNorm}."));
        }

        if (!(options.WeightDecay >= 0) || !double.IsFinite(options.WeightDecay))
        {
            failures.Add(Invariant($"WeightDecay must be a finite number >= 0; got {options.WeightDecay}."));
        }

        if (!(options.AdamBeta1 >= 0 && options.AdamBeta1 < 1))
        {
            failures.Add(Invariant($"AdamBeta1 must be in [0, 1); got {options.AdamBeta1}."));
        }

        if (!(options.AdamBeta2 >= 0 && options.AdamBeta2 < 1))
        {
            failures.Add(Invariant($"AdamBeta2 must be in [0, 1); got {options.AdamBeta2}."));
        }

        if (!(options.AdamEpsilon >= 0) || !double.IsFinite(options.AdamEpsilon))
        {
            failures.Add(Invariant($"AdamEpsilon must be a finite number >= 0; got {options.AdamEpsilon}."));
        }

        if (options.Bf16 && options.Fp16)
        {
            failures.Add("Bf16 and Fp16 are both true; choose one mixed-precision type.");
        }

        if (options.Seed < 0)
        {
            failures.Add(Invariant($"Seed must be >= 0; got {options.Seed}."));
        }

        if (options.LoggingSteps < 1)
        {
            failures.Add(Invariant($"LoggingSteps must be >= 1; got {options.LoggingSteps}."));
        }

        if (options.EvalSteps < 0)
        {
            failures.Add(Invariant($"EvalSteps must be >= 0 (0 turns evaluation off); got {options.EvalSteps}."));
        }

        if (options.SaveSteps < 0)
        {
            failures.Add(Invariant($"SaveSteps must be >= 0 (0 saves only the final checkpoint); got {options.SaveSteps}."));
        }

        if (options.GarbageCollectionSteps < 0)
        {
            failures.Add(Invariant($"GarbageCollectionSteps must be >= 0 (0 turns the per-step collection off); got {options.GarbageCollectionSteps}."));
        }

        if (options.SaveTotalLimit < 0)
        {
            failures.Add(Invariant($"SaveTotalLimit must be >= 0 (0 keeps every checkpoint); got {options.SaveTotalLimit}."));
        }

        if (options.ResumeFromCheckpoint is not null && string.IsNullOrWhiteSpace(options.ResumeFromCheckpoint))
        {
            failures.Add(Invariant($"ResumeFromCheckpoint must be a checkpoint folder, 'latest' or null; got '{options.ResumeFromCheckpoint}'."));
        }

        options.AddPeftFailures(failures);
    }
}
