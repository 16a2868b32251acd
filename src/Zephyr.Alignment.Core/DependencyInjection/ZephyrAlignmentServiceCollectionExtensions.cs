using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Runtime;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Zephyr.Alignment in a service collection.</summary>
public static class ZephyrAlignmentServiceCollectionExtensions
{
    /// <summary>
    /// Adds the core services: <see cref="TorchDeviceOptions"/> (validated at start-up when the host validates
    /// options, and on first use otherwise). Safe to call more than once.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureDevice">Sets the device and dtype; defaults are CPU and float32.</param>
    /// <returns>A builder for the stage registrations (<c>AddSft</c>, <c>AddDpo</c>, …).</returns>
    public static IZephyrAlignmentBuilder AddZephyrAlignment(this IServiceCollection services, Action<TorchDeviceOptions>? configureDevice = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<TorchDeviceOptions> options = services.AddOptions<TorchDeviceOptions>();
        if (configureDevice is not null)
        {
            options.Configure(configureDevice);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TorchDeviceOptions>, TorchDeviceOptionsValidator>());
        return new ZephyrAlignmentBuilder(services);
    }

    /// <summary>
    /// Adds the core services with <see cref="TorchDeviceOptions"/> bound from <paramref name="deviceSection"/>
    /// (keys <c>Device</c>, <c>DType</c>, <c>AllowCpuFallback</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="deviceSection">The configuration section, e.g. <c>configuration.GetSection("Zephyr:Device")</c>.</param>
    /// <returns>A builder for the stage registrations.</returns>
    public static IZephyrAlignmentBuilder AddZephyrAlignment(this IServiceCollection services, IConfiguration deviceSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(deviceSection);
        IZephyrAlignmentBuilder builder = services.AddZephyrAlignment();
        services.AddOptions<TorchDeviceOptions>().Bind(deviceSection);
        return builder;
    }
}
