using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Pipeline.Reporting;

namespace Zephyr.Alignment.Pipeline;

/// <summary>
/// The settings a mini run was started with, kept as <c>settings.json</c> in its folder, so that <c>--resume</c> never
/// mixes the finished stages of one run with the settings of another (a different seed draws a different world: its
/// evaluation prompts could be another run's training prompts).
/// </summary>
internal static class RunSettingsFile
{
    /// <summary>The file's name in the run folder.</summary>
    public const string FileName = "settings.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// A new run records its settings. A resumed run checks them against the recorded ones and refuses any difference,
    /// naming each; a folder without a record (a run from before this check) is resumed with a warning, and gets one.
    /// </summary>
    /// <param name="layout">The run folder.</param>
    /// <param name="options">The settings of this invocation.</param>
    /// <exception cref="OptionsValidationException">A resumed run's settings differ from the recorded ones.</exception>
    public static void Claim(RunLayout layout, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(options);
        string path = Path.Combine(layout.Root, FileName);
        JsonObject current = Settings(options);
        if (options.Resume && File.Exists(path))
        {
            JsonObject recorded = Read(path);
            string[] differences = [.. current.Select(setting => setting.Key)
                .Union(recorded.Select(setting => setting.Key), StringComparer.Ordinal)
                .Where(key => !JsonNode.DeepEquals(current[key], recorded[key]))
                .Select(key => string.Create(CultureInfo.InvariantCulture,
                    $"{key}: {Show(recorded, key)} in the run, {Show(current, key)} now"))];
            if (differences.Length > 0)
            {
                throw new OptionsValidationException(nameof(PipelineOptions), typeof(PipelineOptions),
                [
                    $"--resume: the run in '{layout.Root}' was started with other settings ({path}); resume it with the same settings, " +
                    "or start a new run in another folder. " + string.Join("; ", differences) + ".",
                ]);
            }

            return;
        }

        if (options.Resume && Directory.Exists(layout.Root) && Directory.EnumerateFileSystemEntries(layout.Root).Any())
        {
            PipelineConsole.WriteLine(
                $"warning: --resume: '{layout.Root}' has no {FileName} (a run from an older version); its finished stages are kept without checking that they were made with these settings");
        }

        Directory.CreateDirectory(layout.Root);
        JsonLinesFile.WriteText(path, current.ToJsonString(Indented));
    }

    /// <summary>Every setting that shapes the run's results (not where it goes, nor how the folder is claimed).</summary>
    private static JsonObject Settings(PipelineOptions options)
    {
        JsonObject settings = JsonSerializer.SerializeToNode(options)!.AsObject();
        settings.Remove(nameof(PipelineOptions.OutputDirectory));
        settings.Remove(nameof(PipelineOptions.Resume));
        settings.Remove(nameof(PipelineOptions.Overwrite));
        return settings;
    }

    private static JsonObject Read(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"The run's settings record '{path}' is not a JSON object.");
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"The run's settings record '{path}' is corrupt ({exception.Message}).", exception);
        }
    }

    private static string Show(JsonObject settings, string key)
        => settings.TryGetPropertyValue(key, out JsonNode? value) ? value?.ToJsonString() ?? "null" : "(not set)";
}
