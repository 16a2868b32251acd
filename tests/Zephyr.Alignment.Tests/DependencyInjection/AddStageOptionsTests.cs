using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Zephyr.Alignment.Tests.DependencyInjection;

/// <summary>AddStageOptions: the options plumbing every stage registration shares.</summary>
public sealed class AddStageOptionsTests
{
    [Fact]
    public void Bound_values_come_first_and_the_configure_action_after_them()
    {
        IConfiguration section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Name"] = "bound", ["Count"] = "3" })
            .Build();
        IZephyrAlignmentBuilder builder = new ServiceCollection().AddZephyrAlignment();
        builder.AddStageOptions<StageOptions>(section, o => o.Name += "+configured", new StageValidator());
        using ServiceProvider provider = builder.Services.BuildServiceProvider();

        StageOptions options = provider.GetRequiredService<IOptions<StageOptions>>().Value;

        Assert.Equal("bound+configured", options.Name);
        Assert.Equal(3, options.Count);
    }

    [Fact]
    public void The_validator_runs_once_however_often_the_stage_is_added()
    {
        IZephyrAlignmentBuilder builder = new ServiceCollection().AddZephyrAlignment();
        builder.AddStageOptions<StageOptions>(null, o => o.Count = -1, new StageValidator());
        builder.AddStageOptions<StageOptions>(null, o => o.Name = "second", new StageValidator());
        using ServiceProvider provider = builder.Services.BuildServiceProvider();

        Assert.Single(provider.GetServices<IValidateOptions<StageOptions>>());
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<StageOptions>>().Value);
        Assert.Equal(["Count -1 must not be negative."], error.Failures);
    }

    [Fact]
    public void Neither_a_section_nor_a_configure_action_is_refused()
    {
        IZephyrAlignmentBuilder builder = new ServiceCollection().AddZephyrAlignment();
        var error = Assert.Throws<ArgumentException>(() => builder.AddStageOptions<StageOptions>(null, null, new StageValidator()));
        Assert.Contains("StageOptions", error.Message, StringComparison.Ordinal);
    }

    public sealed class StageOptions
    {
        public string Name { get; set; } = "";

        public int Count { get; set; }
    }

    private sealed class StageValidator : IValidateOptions<StageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StageOptions options)
            => options.Count < 0 ? ValidateOptionsResult.Fail($"Count {options.Count} must not be negative.") : ValidateOptionsResult.Success;
    }
}
