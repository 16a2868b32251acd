using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>What every stage registration (<c>AddAif</c>, <c>AddDpo</c>, …) does with its options, in one place.</summary>
public static class ZephyrAlignmentBuilderStageExtensions
{
    /// <summary>
    /// Registers a stage's <typeparamref name="TOptions"/>: set by <paramref name="configure"/> alone, or bound from
    /// <paramref name="section"/> with <paramref name="configure"/> applied after binding (a post-configuration, so it can
    /// e.g. root relative paths), and checked by
    /// <paramref name="validator"/> at start-up (and on first use where the host does not validate at start-up).
    /// A second call adds its configuration but not a second validator of the same type.
    /// </summary>
    /// <typeparam name="TOptions">The stage's options type.</typeparam>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>.</param>
    /// <param name="section">The configuration section to bind, or null to set the options by <paramref name="configure"/> only.</param>
    /// <param name="configure">Sets the options; with a section, applied after binding. May be null when <paramref name="section"/> is given.</param>
    /// <param name="validator">The options' validator.</param>
    /// <returns>The options builder, for further configuration.</returns>
    /// <exception cref="ArgumentException">Neither a section nor a configure action is given.</exception>
    public static OptionsBuilder<TOptions> AddStageOptions<TOptions>(
        this IZephyrAlignmentBuilder builder, IConfiguration? section, Action<TOptions>? configure, IValidateOptions<TOptions> validator)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validator);
        if (section is null && configure is null)
        {
            throw new ArgumentException($"{typeof(TOptions).Name} need a configuration section or a configure action.", nameof(configure));
        }

        OptionsBuilder<TOptions> options = builder.Services.AddOptions<TOptions>();
        if (section is null)
        {
            options.Configure(configure!);
        }
        else
        {
            options.Bind(section);
            if (configure is not null)
            {
                options.PostConfigure(configure);
            }
        }

        options.ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton(validator));
        return options;
    }
}
