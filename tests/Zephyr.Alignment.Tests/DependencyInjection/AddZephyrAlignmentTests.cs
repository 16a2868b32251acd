using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Tests.DependencyInjection;

public sealed class AddZephyrAlignmentTests
{
    [Fact]
    public void Device_options_bind_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Zephyr:Device:Device"] = "cuda:1", ["Zephyr:Device:DType"] = "bf16" })
            .Build();
        using ServiceProvider provider = new ServiceCollection().AddZephyrAlignment(configuration.GetSection("Zephyr:Device")).Services.BuildServiceProvider();

        TorchDeviceOptions options = provider.GetRequiredService<IOptions<TorchDeviceOptions>>().Value;

        Assert.Equal("cuda:1", options.Device);
        Assert.Equal("bf16", options.DType);
    }

    [Fact]
    public void Every_invalid_device_option_is_reported_at_once()
    {
        using ServiceProvider provider = new ServiceCollection()
            .AddZephyrAlignment(o => { o.Device = "gpu0"; o.DType = "int4"; })
            .Services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TorchDeviceOptions>>().Value);

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("'gpu0'", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("'int4'", StringComparison.Ordinal));
    }

    [Fact]
    public void Registering_twice_adds_the_validator_once()
    {
        var services = new ServiceCollection();
        services.AddZephyrAlignment();
        services.AddZephyrAlignment();

        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<TorchDeviceOptions>));
    }
}
