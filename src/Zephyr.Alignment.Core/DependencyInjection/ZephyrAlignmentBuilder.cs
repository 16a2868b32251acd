namespace Microsoft.Extensions.DependencyInjection;

internal sealed class ZephyrAlignmentBuilder(IServiceCollection services) : IZephyrAlignmentBuilder
{
    public IServiceCollection Services { get; } = services;
}
