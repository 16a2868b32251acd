using Zephyr.Alignment.Dpo.Losses;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace Zephyr.Alignment.Pipeline;

/// <summary>Checks <see cref="PipelineOptions"/>, reporting every failure at once.</summary>
internal sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Positive(string option, double value)
        {
            if (!(value > 0))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{option} must be positive; got {value}."));
            }
        }

        void Rate(string option, double value)
        {
            if (!(value >= 0 && value <= 1))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{option} must be between 0 and 1; got {value}."));
            }
        }

        if (string.IsNullOrWhiteSpace(options.OutputDirectory))
        {
            failures.Add("OutputDirectory (--output) must name a folder.");
        }

        Positive(nameof(options.PretrainDocuments), options.PretrainDocuments);
        Positive(nameof(options.SftExamples), options.SftExamples);
        Positive(nameof(options.AifPrompts), options.AifPrompts);
        Positive(nameof(options.TestPrefPrompts), options.TestPrefPrompts);
        Positive(nameof(options.EvalPrompts), options.EvalPrompts);
        Positive(nameof(options.HiddenSize), options.HiddenSize);
        Positive(nameof(options.Layers), options.Layers);
        Positive(nameof(options.Heads), options.Heads);
        Positive(nameof(options.MaxLength), options.MaxLength);
        Positive(nameof(options.MaxNewTokens), options.MaxNewTokens);
        Positive(nameof(options.PretrainSteps), options.PretrainSteps);
        Positive(nameof(options.PretrainLearningRate), options.PretrainLearningRate);
        Positive(nameof(options.SftEpochs), options.SftEpochs);
        Positive(nameof(options.SftLearningRate), options.SftLearningRate);
        Positive(nameof(options.BatchSize), options.BatchSize);
        Positive(nameof(options.Beta), options.Beta);
        Positive(nameof(options.DpoEpochs), options.DpoEpochs);
        Positive(nameof(options.DpoLearningRate), options.DpoLearningRate);
        Positive(nameof(options.DpoBatchSize), options.DpoBatchSize);
        Positive(nameof(options.LoggingSteps), options.LoggingSteps);
        Positive(nameof(options.GenerationBatchSize), options.GenerationBatchSize);
        Rate(nameof(options.DemonstratorPreambleRate), options.DemonstratorPreambleRate);
        Rate(nameof(options.DemonstratorMadeUpAnswerRate), options.DemonstratorMadeUpAnswerRate);
        if (options.Heads > 0 && options.HiddenSize % options.Heads != 0)
        {
            failures.Add($"HiddenSize ({options.HiddenSize}) must be a multiple of Heads ({options.Heads}).");
        }

        if (options.VocabularySize < 300)
        {
            failures.Add($"VocabularySize must be at least 300 (256 bytes, the special tokens and some merges); got {options.VocabularySize}.");
        }

        if (options.SftGeneratorTemperatures.Any(t => !(t > 0)))
        {
            failures.Add($"SftGeneratorTemperatures must all be positive (sampling); got [{string.Join(", ", options.SftGeneratorTemperatures)}].");
        }

        if (options.SftGeneratorTemperatures.Count + (options.BaseGeneratorTemperature > 0 ? 1 : 0) + (options.TeacherGenerator ? 1 : 0) < 2)
        {
            failures.Add("AIF needs at least two generators: list two SftGeneratorTemperatures, or one and a positive BaseGeneratorTemperature or TeacherGenerator.");
        }

        foreach (string type in options.DpoLossTypes.Where(t => !DpoLosses.Names.Contains(t, StringComparer.Ordinal)))
        {
            failures.Add($"DpoLossTypes: '{type}' is not a known DPO loss type; known: {string.Join(", ", DpoLosses.Names)}.");
        }

        if (options.DpoLossWeights.Count > 0 && options.DpoLossWeights.Count != Math.Max(1, options.DpoLossTypes.Count))
        {
            failures.Add($"DpoLossWeights has {options.DpoLossWeights.Count} value(s) but DpoLossTypes has {Math.Max(1, options.DpoLossTypes.Count)} (none means sigmoid).");
        }

        if (options.Resume && options.Overwrite)
        {
            failures.Add("Resume (--resume) and Overwrite (--overwrite) exclude each other.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
