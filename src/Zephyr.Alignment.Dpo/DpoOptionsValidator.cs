using Microsoft.Extensions.Options;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Training;
using static System.FormattableString;

namespace Zephyr.Alignment.Dpo;

/// <summary>
/// Checks <see cref="DpoOptions"/>, the training-loop options they derive from included, and reports every invalid value
/// at once, each with its option name and value, so a bad configuration fails before any model is loaded.
/// </summary>
/// <remarks>
/// <see cref="Validate"/> (used by <c>AddDpo</c>) also requires the files the trainer loads itself (<see cref="DpoOptions.ModelPath"/>,
/// <see cref="DpoOptions.TrainFile"/>, <see cref="DpoOptions.EvalFile"/>) to exist; <see cref="AddFailures"/> checks the values only,
/// for trainers given their models and data directly.
/// </remarks>
public sealed class DpoOptionsValidator : IValidateOptions<DpoOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        AddFailures(options, failures);
        AddSourceFailures(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Adds one message per invalid value of <paramref name="options"/> (paths not checked) to <paramref name="failures"/>.</summary>
    /// <param name="options">The options to check.</param>
    /// <param name="failures">Receives the messages.</param>
    public static void AddFailures(DpoOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        TrainingOptionsValidator.AddFailures(options, failures);

        if (!(options.Beta > 0) || !double.IsFinite(options.Beta))
        {
            failures.Add(Invariant($"Beta must be a finite number > 0; got {options.Beta}."));
        }

        if (!(options.LabelSmoothing >= 0 && options.LabelSmoothing < 0.5))
        {
            failures.Add(Invariant($"LabelSmoothing must be in [0, 0.5); got {options.LabelSmoothing}."));
        }

        IReadOnlyList<string> known = options.LegacyLosses ? DpoLosses.LegacyNames : DpoLosses.Names;
        foreach (string type in options.EffectiveLossTypes)
        {
            if (!known.Contains(type, StringComparer.Ordinal))
            {
                failures.Add($"LossType '{type}' is not a known {(options.LegacyLosses ? "legacy " : "")}DPO loss type; known: {string.Join(", ", known)}.");
            }
        }

        if (options.LossWeights is { } weights)
        {
            if (weights.Count != options.EffectiveLossTypes.Count)
            {
                failures.Add(Invariant(
                    $"LossWeights has {weights.Count} value(s) but LossType has {options.EffectiveLossTypes.Count} ({string.Join(", ", options.EffectiveLossTypes)})."));
            }

            foreach (double weight in weights.Where(w => !double.IsFinite(w)))
            {
                failures.Add(Invariant($"LossWeights must be finite numbers; got {weight}."));
            }
        }

        IReadOnlyList<string> smoothing = options.LegacyLosses ? DpoLosses.LegacyLabelSmoothingNames : DpoLosses.LabelSmoothingNames;
        // Only for a valid ε and known types, so one mistake gives one message.
        if (options.LabelSmoothing > 0 && options.LabelSmoothing < 0.5
            && options.EffectiveLossTypes.All(t => known.Contains(t, StringComparer.Ordinal))
            && !options.EffectiveLossTypes.Any(t => smoothing.Contains(t, StringComparer.Ordinal)))
        {
            failures.Add(Invariant(
                $"LabelSmoothing is {options.LabelSmoothing} but LossType {string.Join(", ", options.EffectiveLossTypes)} ignores it ") +
                $"(read by {string.Join(", ", smoothing)}{(options.LegacyLosses ? "" : "; conservative DPO is sigmoid with LegacyLosses = true")}); set LabelSmoothing to 0 or choose a loss that uses it.");
        }

        if (options.LegacyLosses && options.EffectiveLossTypes.Count > 1 && options.EffectiveLossTypes.Contains(DpoLossNames.Ipo))
        {
            failures.Add("LossType: legacy ipo cannot be combined with other loss types (TRL <= 0.28 normalised every type by length then); use LegacyLosses = false.");
        }

        if (options.MaxPromptLength <= 0)
        {
            failures.Add(Invariant($"MaxPromptLength must be > 0; got {options.MaxPromptLength}."));
        }

        if (options.MaxLength <= options.MaxPromptLength)
        {
            failures.Add(Invariant($"MaxLength must be greater than MaxPromptLength ({options.MaxPromptLength}), leaving room for a completion; got {options.MaxLength}."));
        }

        if (!Enum.IsDefined(options.TruncationMode))
        {
            failures.Add(Invariant($"TruncationMode must be KeepEnd or KeepStart; got {options.TruncationMode}."));
        }

        if (!Enum.IsDefined(options.InvalidRows))
        {
            failures.Add(Invariant($"InvalidRows must be Throw or Skip; got {options.InvalidRows}."));
        }

        var reference = new TorchDeviceOptions { Device = options.ReferenceDevice ?? "cpu", DType = options.ReferenceDType ?? "float32" };
        ValidateOptionsResult device = new TorchDeviceOptionsValidator().Validate(null, reference);
        if (device.Failed)
        {
            foreach (string failure in device.Failures ?? [])
            {
                failures.Add("Reference" + failure);
            }
        }

        if (options.PrecomputeRefBatchSize is < 1)
        {
            failures.Add(Invariant($"PrecomputeRefBatchSize must be >= 1 or null (PerDeviceEvalBatchSize); got {options.PrecomputeRefBatchSize}."));
        }

        if (options.RefLogProbsCacheDirectory is not null && string.IsNullOrWhiteSpace(options.RefLogProbsCacheDirectory))
        {
            failures.Add($"RefLogProbsCacheDirectory must name a folder or be null; got '{options.RefLogProbsCacheDirectory}'.");
        }

        if (options.ChatTemplate is not null && !ChatTemplates.Default.TryGet(options.ChatTemplate, out _))
        {
            failures.Add($"ChatTemplate '{options.ChatTemplate}' is not a registered template; known: {string.Join(", ", ChatTemplates.Default.Names)}.");
        }
    }

    /// <summary>
    /// Adds a message to <paramref name="failures"/> for each missing input the trainer loads itself: the model folder,
    /// the training file and, when set, the reference folder and the evaluation file; and for evaluation steps without an evaluation file.
    /// </summary>
    /// <param name="options">The options to check.</param>
    /// <param name="failures">Receives the messages.</param>
    public static void AddSourceFailures(DpoOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            failures.Add("ModelPath must name the policy's checkpoint folder (the dSFT model); got nothing.");
        }
        else if (!Directory.Exists(options.ModelPath))
        {
            failures.Add($"ModelPath '{options.ModelPath}' is not an existing folder.");
        }

        if (options.ReferenceModelPath is not null && !Directory.Exists(options.ReferenceModelPath))
        {
            failures.Add($"ReferenceModelPath '{options.ReferenceModelPath}' is not an existing folder.");
        }

        if (string.IsNullOrWhiteSpace(options.TrainFile))
        {
            failures.Add("TrainFile must name a preference file (Parquet or JSON Lines); got nothing.");
        }
        else if (!File.Exists(options.TrainFile))
        {
            failures.Add($"TrainFile '{options.TrainFile}' does not exist.");
        }

        if (options.EvalFile is not null && !File.Exists(options.EvalFile))
        {
            failures.Add($"EvalFile '{options.EvalFile}' does not exist.");
        }

        if (options.EvalSteps > 0 && options.EvalFile is null)
        {
            failures.Add(Invariant($"EvalSteps is {options.EvalSteps} but no EvalFile is set."));
        }
    }
}
