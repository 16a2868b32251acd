using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Zephyr.Alignment;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Runtime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the DPO trainer.</summary>
/// <example>
/// <code>
/// services.AddZephyrAlignment(configuration.GetSection("Zephyr:Device"))
///         .AddHuggingFaceModels()
///         .AddDpo(configuration.GetSection("Zephyr:Dpo"));
/// ITrainer trainer = provider.GetRequiredService&lt;ITrainer&gt;();
/// TrainingResult result = await trainer.TrainAsync(cancellationToken);
/// </code>
/// </example>
public static class DpoZephyrAlignmentBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="DpoOptions"/> (configured by <paramref name="configure"/>, validated by <see cref="DpoOptionsValidator"/> at
    /// start-up), the <see cref="ILossFunction"/> the options name, and a <see cref="DpoTrainer"/> resolvable as itself and as
    /// <see cref="ITrainer"/>. The application registers an <see cref="IPolicyModelLoader"/> (e.g. <c>AddHuggingFaceModels()</c>);
    /// an <see cref="ILossFunction"/> or <see cref="ITrainer"/> it registered earlier is kept; every registered
    /// <see cref="ITrainingCallback"/> observes training.
    /// </summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The same builder.</returns>
    public static IZephyrAlignmentBuilder AddDpo(this IZephyrAlignmentBuilder builder, Action<DpoOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return AddDpoServices(builder, null, configure);
    }

    /// <summary>
    /// Registers the DPO trainer as <see cref="AddDpo(IZephyrAlignmentBuilder, Action{DpoOptions})"/> does, with the options bound
    /// from <paramref name="section"/> (keys are the property names: <c>ModelPath</c>, <c>TrainFile</c>, <c>Beta</c>, <c>LossType:0</c>, …).
    /// </summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>.</param>
    /// <param name="section">The configuration section, e.g. <c>configuration.GetSection("Zephyr:Dpo")</c>.</param>
    /// <param name="configure">Applied after binding, e.g. to root relative paths; may be null.</param>
    /// <returns>The same builder.</returns>
    public static IZephyrAlignmentBuilder AddDpo(this IZephyrAlignmentBuilder builder, IConfiguration section, Action<DpoOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        return AddDpoServices(builder, section, configure);
    }

    private static IZephyrAlignmentBuilder AddDpoServices(IZephyrAlignmentBuilder builder, IConfiguration? section, Action<DpoOptions>? configure)
    {
        builder.AddStageOptions(section, configure, new DpoOptionsValidator());
        IServiceCollection services = builder.Services;
        services.TryAddSingleton(provider => DpoTrainer.CreateLoss(provider.GetRequiredService<IOptions<DpoOptions>>().Value));
        services.TryAddSingleton(provider => new DpoTrainer(
            provider.GetRequiredService<IOptions<DpoOptions>>().Value,
            provider.GetRequiredService<IOptions<TorchDeviceOptions>>().Value,
            provider.GetService<IPolicyModelLoader>() ?? throw new InvalidOperationException(
                "DPO needs an IPolicyModelLoader to load the policy and reference: register one, e.g. AddZephyrAlignment().AddHuggingFaceModels()."),
            provider.GetRequiredService<ILossFunction>(),
            provider.GetServices<ITrainingCallback>(),
            provider.GetService<ILoggerFactory>()));
        services.TryAddSingleton<ITrainer>(provider => provider.GetRequiredService<DpoTrainer>());
        return builder;
    }
}
