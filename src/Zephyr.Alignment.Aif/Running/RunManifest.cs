using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zephyr.Alignment.IO;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>
/// <c>aif-run.json</c>: what a run's output folder was made from (the prompts file's SHA-256 and every setting that
/// changes the data). A run resumes only into a folder whose manifest matches; anything else is refused, so two
/// datasets are never mixed in one <c>scored.jsonl</c>. A refusal goes through <see cref="OutputDirectoryGuard"/>, as
/// the trainers' does: it names the artefacts and the two ways on (resume with the same settings, or
/// <see cref="AifOptions.OverwriteOutputDirectory"/>).
/// </summary>
internal static class RunManifest
{
    public const string FileName = "aif-run.json";

    /// <summary>The files of a run; a folder holding any of them without a manifest belongs to something else.</summary>
    public static readonly string[] OutputFiles = ["scored.jsonl", "train_prefs.parquet", "train_prefs.jsonl"];

    /// <summary>Everything a run writes into its output folder, and all that <see cref="AifOptions.OverwriteOutputDirectory"/> deletes.</summary>
    public static readonly string[] Artefacts = [.. OutputFiles, FileName];

    public static JsonObject Describe(AifOptions options, string promptsSha256, string judge) => new()
    {
        ["prompts_sha256"] = promptsSha256,
        ["settings"] = new JsonObject
        {
            ["generators"] = new JsonArray(options.Generators.Select(g => (JsonNode)new JsonObject
            {
                ["name"] = g.Name,
                ["model_path"] = g.ModelPath,
                ["endpoint"] = g.Endpoint,
                ["model"] = g.Model,
                ["temperature"] = g.Temperature,
                ["top_p"] = g.TopP,
                ["max_new_tokens"] = g.MaxNewTokens,
                ["seed"] = g.Seed,
                ["samples"] = g.Samples,
            }).ToArray()),
            ["judge"] = judge,
            ["seed"] = options.Seed,
            ["score_aggregation"] = options.ScoreAggregation.ToString(),
            ["strategy"] = options.Strategy.ToString(),
            ["margin"] = options.Margin,
            ["max_prompts"] = options.MaxPrompts,
        },
    };

    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using FileStream stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Writes the manifest of a fresh run, or checks that the folder's manifest matches this run.</summary>
    /// <returns>Whether the folder already held this run (a resume).</returns>
    /// <exception cref="OutputDirectoryInUseException">The folder holds another run's output.</exception>
    public static async Task<bool> ClaimAsync(string directory, JsonObject manifest, CancellationToken cancellationToken)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            Refuse(directory, $"resume (it holds no {FileName}, so it cannot be resumed)");
            await AtomicFile.WriteAsync(path, (s, ct) => JsonSerializer.SerializeAsync(s, manifest, new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }, ct), cancellationToken).ConfigureAwait(false);
            return false;
        }

        JsonNode? existing;
        try
        {
            existing = JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
        }
        catch (JsonException e)
        {
            Refuse(directory, $"resume (its {FileName} is not valid JSON: {e.Message}; so it cannot be resumed)");
            throw; // Unreachable: the manifest itself is an artefact.
        }

        var differences = new List<string>();
        if (!JsonNode.DeepEquals(existing?["prompts_sha256"], manifest["prompts_sha256"]))
        {
            differences.Add("the prompts file's content differs");
        }

        if (!JsonNode.DeepEquals(existing?["settings"], manifest["settings"]))
        {
            var was = existing?["settings"] as JsonObject;
            var now = (JsonObject)manifest["settings"]!;
            string[] keys = now.Select(p => p.Key).Where(k => !JsonNode.DeepEquals(was?[k], now[k])).ToArray();
            differences.Add($"the settings differ ({string.Join(", ", keys)})");
        }

        if (differences.Count > 0)
        {
            Refuse(directory, $"rerun with the prompts file and settings it was made with (this is another AIF run: {string.Join("; ", differences)}; resuming it would mix two datasets)");
        }

        return true;
    }

    /// <summary>Fails, naming the artefacts, when <paramref name="directory"/> holds any.</summary>
    private static void Refuse(string directory, string resumeHint)
        => OutputDirectoryGuard.Claim(directory, Artefacts, OutputDirectoryMode.New, resumeHint: resumeHint, overwriteHint: OverwriteHint);

    /// <summary>How a user overwrites an AIF output folder, for the refusal.</summary>
    public const string OverwriteHint = "set OverwriteOutputDirectory to true (overwrite_output_dir)";
}
