using Microsoft.Extensions.Options;
using Spectre.Console;
using Spectre.Console.Testing;
using Zephyr.Alignment.Pipeline;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary><c>settings.json</c>: a resumed mini run cannot mix one run's finished stages with another's settings.</summary>
public sealed class RunSettingsFileTests
{
    [Fact]
    public void A_new_run_records_its_settings_and_resuming_with_the_same_ones_passes_whatever_the_folder_flags()
    {
        using var folder = new TempDirectory();
        var layout = new RunLayout(folder.Path);

        RunSettingsFile.Claim(layout, new PipelineOptions { OutputDirectory = folder.Path, Seed = 7 });
        RunSettingsFile.Claim(layout, new PipelineOptions { OutputDirectory = "elsewhere", Seed = 7, Resume = true });

        Assert.Contains("\"Seed\": 7", File.ReadAllText(folder.File(RunSettingsFile.FileName)));
        Assert.DoesNotContain("OutputDirectory", File.ReadAllText(folder.File(RunSettingsFile.FileName)));
    }

    [Fact]
    public void Resuming_with_other_settings_names_each_difference_and_leaves_the_record_alone()
    {
        using var folder = new TempDirectory();
        var layout = new RunLayout(folder.Path);
        RunSettingsFile.Claim(layout, new PipelineOptions { OutputDirectory = folder.Path });
        string recorded = File.ReadAllText(folder.File(RunSettingsFile.FileName));

        var error = Assert.Throws<OptionsValidationException>(() => RunSettingsFile.Claim(layout,
            new PipelineOptions { OutputDirectory = folder.Path, Resume = true, Beta = 0.3, SftGeneratorTemperatures = [0.7] }));

        Assert.Contains("Beta: 0.5 in the run, 0.3 now", error.Message);
        Assert.Contains("SftGeneratorTemperatures: [] in the run, [0.7] now", error.Message);
        Assert.Equal(recorded, File.ReadAllText(folder.File(RunSettingsFile.FileName)));
    }

    [Fact]
    public void Resuming_a_folder_without_a_record_warns_and_writes_one()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("report.md"), "an older run");
        var console = new TestConsole().Width(1000);
        IAnsiConsole previous = AnsiConsole.Console;
        AnsiConsole.Console = console;
        try
        {
            RunSettingsFile.Claim(new RunLayout(folder.Path), new PipelineOptions { OutputDirectory = folder.Path, Resume = true });
        }
        finally
        {
            AnsiConsole.Console = previous;
        }

        Assert.Contains("has no settings.json", console.Output);
        Assert.True(File.Exists(folder.File(RunSettingsFile.FileName)));
    }

    [Fact]
    public void A_corrupt_record_is_named()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File(RunSettingsFile.FileName), "{ not json");

        var error = Assert.Throws<InvalidDataException>(() =>
            RunSettingsFile.Claim(new RunLayout(folder.Path), new PipelineOptions { OutputDirectory = folder.Path, Resume = true }));

        Assert.Contains(folder.File(RunSettingsFile.FileName), error.Message);
    }
}
