using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Lora;

/// <summary>
/// What SFT and DPO do with <see cref="TrainingOptions.UsePeft"/>, in one place: turn the loaded policy into a LoRA
/// policy before training, and write the merged model after it when <see cref="TrainingOptions.SaveMergedModel"/> asks.
/// </summary>
public static class LoraTraining
{
    /// <summary>The subfolder of the output folder that receives the merged model.</summary>
    public const string MergedFolderName = "merged";

    /// <summary>
    /// Returns the policy to train: <paramref name="policy"/> itself without <see cref="TrainingOptions.UsePeft"/> or when
    /// it already carries adapters; otherwise the policy with fresh adapters (seeded by <see cref="TrainingOptions.Seed"/>)
    /// or, with <see cref="TrainingOptions.LoraAdapterPath"/>, with that adapter loaded for further training.
    /// </summary>
    /// <param name="policy">The loaded policy.</param>
    /// <param name="options">The run's options.</param>
    /// <param name="ownsPolicy">Whether the returned adapter model should dispose <paramref name="policy"/> with itself.</param>
    /// <param name="logger">Receives what was done.</param>
    /// <returns>The policy to train.</returns>
    /// <exception cref="NotSupportedException">The policy cannot take LoRA adapters (it offers no <see cref="ILoraAdaptable"/>).</exception>
    public static IPolicyModel Prepare(IPolicyModel policy, TrainingOptions options, bool ownsPolicy, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (!options.UsePeft)
        {
            return policy;
        }

        if (policy.GetService(typeof(ILoraModel)) is ILoraModel existing)
        {
            if (Differences(options, existing.LoraConfig) is { } differences)
            {
                LoraLog.AdaptersAlreadyPresent(logger, differences);
            }

            return existing;
        }

        if (policy.GetService(typeof(ILoraAdaptable)) is not ILoraAdaptable adaptable)
        {
            throw new NotSupportedException(
                $"UsePeft is set but the policy ({policy.GetType().Name}) cannot take LoRA adapters: it offers no {nameof(ILoraAdaptable)}.");
        }

        ILoraModel lora;
        if (options.LoraAdapterPath is { } path)
        {
            lora = adaptable.LoadLoraAdapters(path, isTrainable: true, ownsPolicy);
            LoraLog.AdapterLoaded(logger, path, Describe(lora.LoraConfig));
            if (Differences(options, lora.LoraConfig) is { } differences)
            {
                LoraLog.OptionsOverriddenByAdapter(logger, path, differences);
            }
        }
        else
        {
            lora = adaptable.AddLoraAdapters(options.ToLoraConfig(), options.Seed, ownsPolicy);
            LoraLog.AdaptersAdded(logger, Describe(lora.LoraConfig));
        }

        LoraLog.TrainableParameters(
            logger,
            lora.NamedTrainableParameters().Sum(p => p.Parameter.NumberOfElements),
            lora.NamedBaseParameters().Sum(p => p.Parameter.NumberOfElements));
        return lora;
    }

    /// <summary>
    /// With <see cref="TrainingOptions.SaveMergedModel"/> and a LoRA policy, writes the merged model to
    /// <c>{outputDirectory}/merged</c> and returns that path; otherwise does nothing and returns <see langword="null"/>.
    /// </summary>
    /// <param name="policy">The trained policy.</param>
    /// <param name="options">The run's options.</param>
    /// <param name="outputDirectory">The run's output folder.</param>
    /// <param name="logger">Receives the path written.</param>
    /// <returns>The merged model's folder, or <see langword="null"/>.</returns>
    public static string? SaveMergedIfRequested(IPolicyModel policy, TrainingOptions options, string outputDirectory, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ArgumentNullException.ThrowIfNull(logger);
        if (!options.SaveMergedModel || policy.GetService(typeof(ILoraModel)) is not ILoraModel lora)
        {
            return null;
        }

        string merged = Path.Combine(Path.GetFullPath(outputDirectory), MergedFolderName);
        lora.SaveMerged(merged);
        LoraLog.MergedSaved(logger, merged);
        return merged;
    }

    private static string Describe(LoraConfig config)
        => FormattableString.Invariant(
            $"r={config.R} lora_alpha={config.LoraAlpha} lora_dropout={config.LoraDropout} use_rslora={config.UseRslora} scaling={config.Scaling} target_modules={config.TargetModulesRegex ?? string.Join(",", config.EffectiveTargetModules)}");

    private static string? Differences(TrainingOptions options, LoraConfig loaded)
    {
        LoraConfig asked = options.ToLoraConfig();
        var differences = new List<string>();
        if (asked.R != loaded.R)
        {
            differences.Add(FormattableString.Invariant($"LoraR {asked.R} -> r {loaded.R}"));
        }

        if (asked.LoraAlpha != loaded.LoraAlpha)
        {
            differences.Add(FormattableString.Invariant($"LoraAlpha {asked.LoraAlpha} -> lora_alpha {loaded.LoraAlpha}"));
        }

        if (asked.LoraDropout != loaded.LoraDropout)
        {
            differences.Add(FormattableString.Invariant($"LoraDropout {asked.LoraDropout} -> lora_dropout {loaded.LoraDropout}"));
        }

        if (asked.UseRslora != loaded.UseRslora)
        {
            differences.Add(FormattableString.Invariant($"UseRslora {asked.UseRslora} -> use_rslora {loaded.UseRslora}"));
        }

        if (options.LoraTargetModules is not null
            && (loaded.TargetModulesRegex is not null || !asked.EffectiveTargetModules.Order().SequenceEqual(loaded.EffectiveTargetModules.Order())))
        {
            differences.Add($"LoraTargetModules [{string.Join(", ", asked.EffectiveTargetModules)}] -> target_modules {loaded.TargetModulesRegex ?? string.Join(", ", loaded.EffectiveTargetModules)}");
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }
}
