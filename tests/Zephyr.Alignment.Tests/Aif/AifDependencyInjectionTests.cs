using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Aif;

public sealed class AifDependencyInjectionTests
{
    [Fact]
    public async Task AddAif_binds_the_section_and_runs_with_the_keyed_generators_and_the_registered_judge()
    {
        using var folder = new TempDirectory();
        File.WriteAllLines(folder.File("prompts.jsonl"), ["{\"prompt\": \"Name a colour.\"}", "{\"prompt\": \"Write a poem.\"}"]);
        using LocalChatClient model = LocalChatClient.Load(TestPaths.Fixture("tiny-llama"), new LocalChatClientOptions { ModelId = "tiny" });
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IChatClient>("cold", model);
        services.AddKeyedSingleton<IChatClient>("hot", model);
        services.AddSingleton<IPreferenceJudge, RuleBasedTeacher.Judge>();
        services.AddZephyrAlignment().AddAif(Section(folder, ("Generators:1:Name", "hot")));
        await using ServiceProvider provider = services.BuildServiceProvider();

        AifSummary summary = await provider.GetRequiredService<AifRunner>().RunAsync();
        Assert.Equal(2, summary.Prompts);
        string[] generators = File.ReadLines(summary.ScoredFile)
            .SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("generator").GetString()!))
            .Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["cold", "hot"], generators);
    }

    [Fact]
    public void A_generator_without_a_keyed_client_and_invalid_options_are_reported()
    {
        using var folder = new TempDirectory();
        var services = new ServiceCollection();
        services.AddSingleton<IPreferenceJudge, RuleBasedTeacher.Judge>();
        services.AddZephyrAlignment().AddAif(Section(folder, ("Generators:1:Name", "missing")));
        using (ServiceProvider provider = services.BuildServiceProvider())
        {
            var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<AifRunner>());
            Assert.Contains("AddKeyedSingleton<IChatClient>(\"cold\"", e.Message, StringComparison.Ordinal);
        }

        var bad = new ServiceCollection();
        bad.AddZephyrAlignment().AddAif(Section(folder, ("MaxConcurrency", "0")));
        using ServiceProvider badProvider = bad.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<AifOptions>>().Value);
        Assert.Contains("MaxConcurrency must be at least 1", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Section(TempDirectory folder, params (string Key, string Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["Aif:PromptsFile"] = folder.File("prompts.jsonl"),
            ["Aif:OutputDirectory"] = folder.File("out"),
            ["Aif:Generators:0:Name"] = "cold",
            ["Aif:Generators:0:Temperature"] = "0.2",
            ["Aif:Generators:0:MaxNewTokens"] = "6",
            ["Aif:Generators:1:Temperature"] = "1.1",
            ["Aif:Generators:1:MaxNewTokens"] = "6",
        };
        foreach ((string key, string value) in overrides)
        {
            values["Aif:" + key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Aif");
    }
}
