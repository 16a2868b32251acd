using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Zephyr.Alignment;
using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the AIF stage.</summary>
/// <example>
/// <code>
/// services.AddKeyedSingleton&lt;IChatClient&gt;("sft-hot", LocalChatClient.Load("models/sft"));
/// services.AddKeyedSingleton&lt;IChatClient&gt;("remote", openAiClient.GetChatClient("some-model").AsIChatClient());
/// services.AddSingleton&lt;IPreferenceJudge&gt;(sp =&gt; new ChatPreferenceJudge(teacherClient));
/// services.AddZephyrAlignment().AddAif(configuration.GetSection("Zephyr:Aif"));
/// AifSummary summary = await provider.GetRequiredService&lt;AifRunner&gt;().RunAsync(progress, cancellationToken);
/// </code>
/// </example>
public static class AifZephyrAlignmentBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="AifOptions"/> (configured by <paramref name="configure"/>, validated at start-up) and an
    /// <see cref="AifRunner"/> whose generators are the <see cref="IChatClient"/>s the application registered as keyed
    /// services under each generator's <c>Name</c>, and whose teacher is the registered <see cref="IPreferenceJudge"/>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The same builder.</returns>
    public static IZephyrAlignmentBuilder AddAif(this IZephyrAlignmentBuilder builder, Action<AifOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<AifOptions>().Configure(configure);
        return AddAifServices(builder);
    }

    /// <summary>
    /// Registers the AIF stage as <see cref="AddAif(IZephyrAlignmentBuilder, Action{AifOptions})"/> does, with the options bound from
    /// <paramref name="section"/> (keys: <c>PromptsFile</c>, <c>Generators:0:Name</c>, <c>OutputDirectory</c>, <c>Seed</c>, …).
    /// </summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>.</param>
    /// <param name="section">The configuration section, e.g. <c>configuration.GetSection("Zephyr:Aif")</c>.</param>
    /// <param name="configure">Applied after binding, e.g. to root relative paths; may be null.</param>
    /// <returns>The same builder.</returns>
    public static IZephyrAlignmentBuilder AddAif(this IZephyrAlignmentBuilder builder, IConfiguration section, Action<AifOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        OptionsBuilder<AifOptions> options = builder.Services.AddOptions<AifOptions>().Bind(section);
        if (configure is not null)
        {
            options.PostConfigure(configure);
        }

        return AddAifServices(builder);
    }

    private static IZephyrAlignmentBuilder AddAifServices(IZephyrAlignmentBuilder builder)
    {
        IServiceCollection services = builder.Services;
        services.AddOptions<AifOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AifOptions>>(new AifOptionsValidator { RequireModelSources = false }));
        services.TryAddSingleton(provider =>
        {
            AifOptions options = provider.GetRequiredService<IOptions<AifOptions>>().Value;
            AifGenerator[] generators = options.Generators
                .Select(g => new AifGenerator(g, provider.GetKeyedService<IChatClient>(g.Name) ?? throw new InvalidOperationException(
                    $"AIF generator '{g.Name}' has no chat client: register one with services.AddKeyedSingleton<IChatClient>(\"{g.Name}\", client).")))
                .ToArray();
            IPreferenceJudge judge = provider.GetService<IPreferenceJudge>() ?? throw new InvalidOperationException(
                "AIF needs a teacher: register an IPreferenceJudge (a ChatPreferenceJudge over the teacher's IChatClient, or a programmatic judge).");
            return new AifRunner(options, generators, judge, judge.GetType().FullName ?? judge.GetType().Name, provider.GetService<ILogger<AifRunner>>());
        });
        return builder;
    }
}
