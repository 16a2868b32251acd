using Microsoft.Extensions.Options;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Training;
using static System.FormattableString;

namespace Zephyr.Alignment.Sft;

/// <summary>
/// Checks <see cref="SftOptions"/>: the training options (<see cref="TrainingOptionsValidator.AddFailures"/>) and the SFT
/// ones, reporting every invalid value at once with its name and value, before any model is loaded.
/// </summary>
public sealed class SftOptionsValidator : IValidateOptions<SftOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, SftOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        AddFailures(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Adds one message per invalid value of <paramref name="options"/> to <paramref name="failures"/>.</summary>
    /// <param name="options">The options to check.</param>
    /// <param name="failures">Receives the messages.</param>
    public static void AddFailures(SftOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        TrainingOptionsValidator.AddFailures(options, failures);

        if (options.ModelPath is not null && !Directory.Exists(options.ModelPath))
        {
            failures.Add($"ModelPath must be an existing checkpoint folder; got '{options.ModelPath}'.");
        }

        if (string.IsNullOrWhiteSpace(options.TrainFile))
        {
            failures.Add($"TrainFile must name a .parquet, .jsonl or .json file; got '{options.TrainFile}'.");
        }
        else if (!File.Exists(options.TrainFile))
        {
            failures.Add($"TrainFile does not exist; got '{options.TrainFile}'.");
        }

        if (options.EvalFile is not null && !File.Exists(options.EvalFile))
        {
            failures.Add($"EvalFile does not exist; got '{options.EvalFile}'.");
        }

        if (options.EvalSteps > 0 && options.EvalFile is null)
        {
            failures.Add(Invariant($"EvalSteps is {options.EvalSteps} but EvalFile is not set."));
        }

        if (options.ChatTemplate is not null && !ChatTemplates.Default.TryGet(options.ChatTemplate, out _))
        {
            failures.Add($"ChatTemplate must be one of {string.Join(", ", ChatTemplates.Default.Names)}; got '{options.ChatTemplate}'.");
        }

        if (options.MaxLength < 2)
        {
            failures.Add(Invariant($"MaxLength must be >= 2; got {options.MaxLength}."));
        }

        if (!Enum.IsDefined(options.OverlongExamples))
        {
            failures.Add($"OverlongExamples must be Truncate or Drop; got '{options.OverlongExamples}'.");
        }

        if (!Enum.IsDefined(options.InvalidRows))
        {
            failures.Add($"InvalidRows must be Throw or Skip; got '{options.InvalidRows}'.");
        }
    }
}
