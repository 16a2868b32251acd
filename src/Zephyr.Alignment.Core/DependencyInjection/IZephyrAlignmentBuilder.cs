namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Returned by <see cref="ZephyrAlignmentServiceCollectionExtensions.AddZephyrAlignment(IServiceCollection, Action{Zephyr.Alignment.Runtime.TorchDeviceOptions}?)"/>;
/// the stage packages (SFT, DPO, models) add their registrations through extension methods on it.
/// </summary>
public interface IZephyrAlignmentBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}
