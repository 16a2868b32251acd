using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Zephyr.Alignment;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Sft;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the dSFT stage: <see cref="SftOptions"/> and <see cref="SftTrainer"/>.</summary>
public static class SftZephyrAlignmentBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="SftOptions"/> bound from <paramref name="section"/> (keys are the property names, e.g.
    /// <c>ModelPath</c>, <c>TrainFile</c>, <c>LearningRate</c>, <c>Packing</c>) and a ready <see cref="SftTrainer"/>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>; an <see cref="IPolicyModelLoader"/> must be registered too (e.g. <c>AddHuggingFaceModels()</c>).</param>
    /// <param name="section">The configuration section, e.g. <c>configuration.GetSection("Sft")</c>.</param>
    /// <returns>The same builder.</returns>
    public static IZephyrAlignmentBuilder AddSft(this IZephyrAlignmentBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        AddSftCore(builder).Bind(section);
        return builder;
    }

    /// <summary>Registers <see cref="SftOptions"/> set by <paramref name="configure"/> and a ready <see cref="SftTrainer"/>.</summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>; an <see cref="IPolicyModelLoader"/> must be registered too (e.g. <c>AddHuggingFaceModels()</c>).</param>
    /// <param name="configure">Sets the options, starting from the recipe's defaults.</param>
    /// <returns>The same builder.</returns>
    public static IZephyrAlignmentBuilder AddSft(this IZephyrAlignmentBuilder builder, Action<SftOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddSftCore(builder).Configure(configure);
        return builder;
    }

    private static OptionsBuilder<SftOptions> AddSftCore(IZephyrAlignmentBuilder builder)
    {
        IServiceCollection services = builder.Services;
        OptionsBuilder<SftOptions> options = services.AddOptions<SftOptions>();

        // Checked on start (when the host validates options) and on first use otherwise, before any model is loaded.
        options.Validate(o => !string.IsNullOrWhiteSpace(o.ModelPath), "ModelPath must name a checkpoint folder to load (the SFT trainer loads it).")
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SftOptions>, SftOptionsValidator>());

        // Transient: a trainer runs once and owns the model it loads.
        services.TryAddTransient(provider => new SftTrainer(
            provider.GetRequiredService<IPolicyModelLoader>(),
            provider.GetRequiredService<IOptions<SftOptions>>(),
            provider.GetRequiredService<IOptions<TorchDeviceOptions>>(),
            provider.GetServices<ITrainingCallback>(),
            provider.GetService<ILogger<SftTrainer>>()));
        return options;
    }
}
