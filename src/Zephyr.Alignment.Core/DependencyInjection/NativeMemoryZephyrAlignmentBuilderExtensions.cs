using Zephyr.Alignment.Runtime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Sets the process's native allocator policy from the service registration.</summary>
public static class NativeMemoryZephyrAlignmentBuilderExtensions
{
    /// <summary>
    /// Configures the native allocator policy (<see cref="NativeMemoryOptions"/>) and hands it to
    /// <see cref="TorchRuntime.ConfigureNativeMemory"/> at once: the policy is process-wide and must be in place before the
    /// first tensor, so it is not deferred to the service provider.
    /// </summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>.</param>
    /// <param name="configure">Changes the defaults, e.g. <c>o =&gt; o.TuneAllocator = false</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    /// <exception cref="InvalidOperationException">The torch runtime has already initialised in this process.</exception>
    public static IZephyrAlignmentBuilder ConfigureNativeMemory(this IZephyrAlignmentBuilder builder, Action<NativeMemoryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new NativeMemoryOptions();
        configure(options);
        TorchRuntime.ConfigureNativeMemory(options);
        return builder;
    }
}
