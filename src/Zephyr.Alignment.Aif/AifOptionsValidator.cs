using Microsoft.Extensions.Options;
using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Candidates;

namespace Zephyr.Alignment.Aif;

/// <summary>Checks <see cref="AifOptions"/>, reporting every problem at once.</summary>
public sealed class AifOptionsValidator : IValidateOptions<AifOptions>
{
    /// <summary>
    /// Whether each generator and the teacher must name where its model is (<c>ModelPath</c> or <c>Endpoint</c> +
    /// <c>Model</c>). Default true, for configurations the clients are built from (the CLI); false where the
    /// application hands <see cref="Running.AifRunner"/> ready clients and its own judge.
    /// </summary>
    public bool RequireModelSources { get; init; } = true;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AifOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.PromptsFile))
        {
            failures.Add("PromptsFile is required.");
        }

        if (string.IsNullOrWhiteSpace(options.OutputDirectory))
        {
            failures.Add("OutputDirectory is required.");
        }

        if (options.Generators is null || options.Generators.Count == 0)
        {
            failures.Add("Generators must list at least one generator.");
        }
        else
        {
            for (int i = 0; i < options.Generators.Count; i++)
            {
                CheckGenerator(options.Generators[i], $"Generators:{i}", RequireModelSources, failures);
            }

            foreach (var duplicate in options.Generators.GroupBy(g => g.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                failures.Add($"Generator name '{duplicate.Key}' is used {duplicate.Count()} times; names must be unique.");
            }

            int candidates = options.Generators.Sum(g => Math.Max(0, g.Samples));
            if (candidates < 2)
            {
                failures.Add($"The generators give {candidates} candidate(s) per prompt; at least 2 are needed to form a pair (add a generator or raise Samples).");
            }
        }

        if (RequireModelSources)
        {
            CheckTeacher(options.Teacher, failures);
        }

        if (options.MaxConcurrency < 1)
        {
            failures.Add($"MaxConcurrency must be at least 1; got {options.MaxConcurrency}.");
        }

        if (!double.IsFinite(options.RequestTimeoutSeconds) || options.RequestTimeoutSeconds <= 0)
        {
            failures.Add($"RequestTimeoutSeconds must be a positive number; got {options.RequestTimeoutSeconds}.");
        }

        if (options.MaxRetries < 0)
        {
            failures.Add($"MaxRetries must be 0 or more; got {options.MaxRetries}.");
        }

        if (!double.IsFinite(options.RetryBaseDelaySeconds) || options.RetryBaseDelaySeconds < 0)
        {
            failures.Add($"RetryBaseDelaySeconds must be 0 or more; got {options.RetryBaseDelaySeconds}.");
        }

        if (!Enum.IsDefined(options.ScoreAggregation))
        {
            failures.Add($"ScoreAggregation '{options.ScoreAggregation}' is not one of {string.Join(", ", Enum.GetNames<Judging.ScoreAggregation>())}.");
        }

        if (options.MaxPrompts is < 1)
        {
            failures.Add($"MaxPrompts must be at least 1 when set; got {options.MaxPrompts}.");
        }

        ValidateOptionsResult binarization = new BinarizationOptionsValidator().Validate(name, options.ToBinarizationOptions());
        if (binarization.Failed)
        {
            failures.AddRange(binarization.Failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckGenerator(GeneratorOptions g, string at, bool requireSource, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(g.Name))
        {
            failures.Add($"{at}:Name is required.");
        }

        if (requireSource)
        {
            CheckSource(g.ModelPath, g.Endpoint, g.Model, $"{at} ('{g.Name}')", failures);
        }

        if (!double.IsFinite(g.Temperature) || g.Temperature < 0)
        {
            failures.Add($"{at}:Temperature must be 0 (greedy) or positive; got {g.Temperature}.");
        }

        if (double.IsNaN(g.TopP) || g.TopP <= 0 || g.TopP > 1)
        {
            failures.Add($"{at}:TopP must be in (0, 1]; got {g.TopP}.");
        }

        if (g.MaxNewTokens < 1)
        {
            failures.Add($"{at}:MaxNewTokens must be at least 1; got {g.MaxNewTokens}.");
        }

        if (g.Samples < 1)
        {
            failures.Add($"{at}:Samples must be at least 1; got {g.Samples}.");
        }

        if (g.Samples > 1 && g.Temperature == 0)
        {
            failures.Add($"{at}:Samples is {g.Samples} with Temperature 0: greedy decoding would write the same completion {g.Samples} times; set a Temperature above 0.");
        }
    }

    private static void CheckTeacher(TeacherOptions? t, List<string> failures)
    {
        if (t is null)
        {
            failures.Add("Teacher is required.");
            return;
        }

        CheckSource(t.ModelPath, t.Endpoint, t.Model, "Teacher", failures);
        if (!double.IsFinite(t.Temperature) || t.Temperature < 0)
        {
            failures.Add($"Teacher:Temperature must be 0 or positive; got {t.Temperature}.");
        }

        if (t.MaxNewTokens < 1)
        {
            failures.Add($"Teacher:MaxNewTokens must be at least 1; got {t.MaxNewTokens}.");
        }

        if (t.MaxAttempts < 1)
        {
            failures.Add($"Teacher:MaxAttempts must be at least 1; got {t.MaxAttempts}.");
        }
    }

    private static void CheckSource(string? modelPath, string? endpoint, string? model, string at, List<string> failures)
    {
        bool local = !string.IsNullOrWhiteSpace(modelPath);
        bool remote = !string.IsNullOrWhiteSpace(endpoint);
        if (local == remote)
        {
            failures.Add($"{at} needs exactly one of ModelPath (a local checkpoint) and Endpoint (an OpenAI-compatible URL).");
        }

        if (remote)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                failures.Add($"{at}:Endpoint '{endpoint}' is not an http(s) URL.");
            }

            if (string.IsNullOrWhiteSpace(model))
            {
                failures.Add($"{at}:Model is required with an Endpoint (the model name the server knows).");
            }
        }
    }
}
