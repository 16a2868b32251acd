using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>
/// <c>aif-run.json</c>: what a run's output folder was made from (the prompts file's SHA-256 and every setting that
/// changes the data). A run resumes only into a folder whose manifest matches; anything else is refused, so two
/// datasets are never mixed in one <c>scored.jsonl</c>.
/// </summary>
internal static class RunManifest
{
    public const string FileName = "aif-run.json";

    /// <summary>The files of a run; a folder holding any of them without a manifest belongs to something else.</summary>
    public static readonly string[] OutputFiles = ["scored.jsonl", "train_prefs.parquet", "train_prefs.jsonl"];

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
    /// <exception cref="InvalidOperationException">The folder holds another run's output.</exception>
    public static async Task<bool> ClaimAsync(string directory, JsonObject manifest, CancellationToken cancellationToken)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            string[] foreign = OutputFiles.Where(f => File.Exists(Path.Combine(directory, f))).ToArray();
            if (foreign.Length > 0)
            {
                throw new InvalidOperationException(
                    $"Output folder '{directory}' already holds {string.Join(", ", foreign)} but no {FileName}, so it is not this run's to resume; choose another OutputDirectory.");
            }

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
            throw new InvalidOperationException($"{path} is not valid JSON ({e.Message}); it is not this run's to resume; choose another OutputDirectory.", e);
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
            throw new InvalidOperationException(
                $"Output folder '{directory}' holds another AIF run: {string.Join("; ", differences)}. Resuming would mix two datasets; " +
                "use the same configuration and prompts to resume, or choose another OutputDirectory.");
        }

        return true;
    }
}
