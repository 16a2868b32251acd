using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// Maps the keys of TRL configs and alignment-handbook recipes onto the stage options: renames
/// (<c>model_name_or_path</c> → <c>ModelPath</c>, <c>output_dir</c>, <c>max_seq_length</c>, <c>torch_dtype</c>),
/// datasets (<c>dataset_mixer</c> + <c>dataset_splits</c>, <c>dataset_name</c> → <c>TrainFile</c>/<c>EvalFile</c> through
/// <see cref="DatasetMapping"/>), values checked against what the library does (<c>optim</c>, <c>save_strategy</c>, ...),
/// and keys with no meaning for a local run (Hub upload, logging backends), accepted with a Warning each. Every other
/// key goes to the binder, which rejects the unknown ones by name.
/// </summary>
internal sealed class RecipeKeys(Type optionsType, DatasetMapping datasets, List<string> warnings, bool mapRecipes = true)
{
    private static readonly Dictionary<string, string> Renames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["modelnameorpath"] = "modelpath",
        ["outputdir"] = "outputdirectory",
        ["overwriteoutputdir"] = "overwriteoutputdirectory",
        ["maxseqlength"] = "maxlength",
        ["torchdtype"] = "dtype",
    };

    /// <summary>Keys that change nothing in a local run of this library, and why.</summary>
    private static readonly Dictionary<string, string> NotApplicable = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hubmodelid"] = "nothing is uploaded to the Hub",
        ["hubstrategy"] = "nothing is uploaded to the Hub",
        ["pushtohub"] = "nothing is uploaded to the Hub",
        ["reportto"] = "metrics go to the log, the callbacks and metrics.jsonl",
        ["loglevel"] = "use --verbose for informational logs",
        ["preprocessingnumworkers"] = "data is tokenized in one process",
        ["datasetnumproc"] = "data is tokenized in one process",
        ["removeunusedcolumns"] = "only the columns a stage reads are read",
        ["attnimplementation"] = "attention always runs through scaled_dot_product_attention",
        ["gradientcheckpointingkwargs"] = "the library's gradient checkpointing takes no arguments",
        ["doeval"] = "evaluation runs every EvalSteps when an evaluation file is given",
    };

    private static readonly string[] DatasetKeys = ["datasetmixer", "datasetsplits", "datasetname", "datasettrainsplit", "datasettestsplit", "datasetmixture"];
    private static readonly string[] AdamW = ["adamw_torch", "adamw_torch_fused", "adamw_hf"];

    private readonly Dictionary<string, List<(string Key, string? Value)>> datasetValues = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Normalizes and translates one source's keys; dataset keys are kept aside for <see cref="ResolveDatasets"/>.</summary>
    public Dictionary<string, string?> Translate(IReadOnlyList<KeyValuePair<string, string?>> raw, string origin)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (rawKey, value) in raw)
        {
            string[] parts = rawKey.Split(':');
            string top = TrainingConfiguration.Normalize(parts[0]);
            if (!mapRecipes)
            {
                // Only the spelling rules and the output-folder names every stage shares.
                string plain = TrainingConfiguration.Normalize(rawKey);
                string renamed = top.ToLowerInvariant() is "outputdir" or "overwriteoutputdir" ? Renames[top] : top;
                result[string.Join(':', [renamed, .. plain.Split(':').Skip(1)])] = value;
                continue;
            }

            if (DatasetKeys.Contains(top, StringComparer.OrdinalIgnoreCase))
            {
                // The sub-keys are Hub names (HuggingFaceH4/ultrachat_200k): kept as written.
                Add(datasetValues, origin + "|" + top, string.Join(':', parts.Skip(1)), value);
                continue;
            }

            string key = TrainingConfiguration.Normalize(rawKey);
            top = Renames.GetValueOrDefault(top, top);
            key = string.Join(':', [top, .. key.Split(':').Skip(1)]);
            string lower = top.ToLowerInvariant();
            if (lower is "chattemplate" || (lower is "dtype" && value is null) || !HasOption(top))
            {
                if (Check(top, parts[0], key, value, origin, result))
                {
                    continue;
                }
            }

            result[key] = value;
        }

        return result;
    }

    /// <summary>Turns the recipe's dataset keys into <c>TrainFile</c> / <c>EvalFile</c>; the command line's win.</summary>
    public void ResolveDatasets(Dictionary<string, string?> file, Dictionary<string, string?> commandLine, string fileName)
    {
        foreach ((string origin, Dictionary<string, string?> target) in new[] { ("command line", commandLine), (fileName, file) })
        {
            string? Scalar(string key) => datasetValues.TryGetValue(origin + "|" + key, out var list) ? list.FirstOrDefault().Value : null;
            List<(string Key, string? Value)> Items(string key) => datasetValues.GetValueOrDefault(origin + "|" + key) ?? [];
            if (Items("datasetmixture").Count > 0)
            {
                throw new CliInputException(
                    $"{origin}: dataset_mixture (the alignment-handbook's 2025 format) mixes and re-splits datasets, which this library does not reproduce; " +
                    "use dataset_mixer with dataset_splits, or dataset_name, or TrainFile/EvalFile");
            }

            var splits = Items("datasetsplits").Select(s => s.Value).OfType<string>().ToList();
            string? id = Scalar("datasetname");
            var mixer = Items("datasetmixer");
            if (mixer.Count > 0)
            {
                if (mixer.Count != 1 || !double.TryParse(mixer[0].Value, System.Globalization.CultureInfo.InvariantCulture, out double weight) || weight != 1.0)
                {
                    throw new CliInputException(
                        $"{origin}: dataset_mixer mixes {string.Join(", ", mixer.Select(m => $"{m.Key}: {m.Value}"))}; this library trains on one dataset (weight 1.0): " +
                        "set TrainFile/EvalFile to a file you mixed yourself");
                }

                id = mixer[0].Key;
            }

            if (id is null)
            {
                if (splits.Count > 0 || Scalar("datasettrainsplit") is not null)
                {
                    throw new CliInputException($"{origin}: dataset splits are given without dataset_mixer or dataset_name");
                }

                continue;
            }

            string trainSplit = Scalar("datasettrainsplit") ?? splits.FirstOrDefault(s => s.Contains("train", StringComparison.OrdinalIgnoreCase)) ?? "train";
            string? testSplit = Scalar("datasettestsplit") ?? splits.FirstOrDefault(s => s.Contains("test", StringComparison.OrdinalIgnoreCase));
            SetFile(target, commandLine, "trainfile", datasets.Resolve(id, trainSplit, origin), origin);
            if (testSplit is not null)
            {
                SetFile(target, commandLine, "evalfile", datasets.Resolve(id, testSplit, origin), origin);
            }
        }
    }

    private static void SetFile(Dictionary<string, string?> target, Dictionary<string, string?> commandLine, string key, string path, string origin)
    {
        // An explicit TrainFile/EvalFile on the command line wins over the file's dataset keys.
        if (target != commandLine && commandLine.ContainsKey(key))
        {
            return;
        }

        if (target.ContainsKey(key))
        {
            throw new CliInputException($"{origin}: both {key} and a dataset (dataset_mixer / dataset_name) are given; keep one");
        }

        target[key] = path;
    }

    private static void Add(Dictionary<string, List<(string, string?)>> values, string key, string sub, string? value)
    {
        if (!values.TryGetValue(key, out var list))
        {
            values[key] = list = [];
        }

        list.Add((sub, value));
    }

    private bool HasOption(string top)
        => optionsType.GetProperties().Any(p => string.Equals(p.Name, top, StringComparison.OrdinalIgnoreCase))
            || top is "device" or "dtype" or "allowcpufallback";

    /// <summary>Keys checked or acknowledged here; true when the key was consumed.</summary>
    private bool Check(string top, string written, string key, string? value, string origin, Dictionary<string, string?> result)
    {
        string shown = $"{origin}: {written} {value}";
        switch (top.ToLowerInvariant())
        {
            case "modelrevision":
                return value is null or "main" ? true : throw new CliInputException($"{shown}: a local model folder has no revisions; use 'main' or remove the key");
            case "optim":
                return AdamW.Contains(value, StringComparer.Ordinal) ? true : throw new CliInputException($"{shown}: only AdamW ({string.Join(", ", AdamW)}) is supported");
            case "savestrategy":
                return value == "steps" ? true : throw new CliInputException($"{shown}: only 'steps' is supported (checkpoints every SaveSteps, and one at the end)");
            case "loggingstrategy":
                return value == "steps" ? true : throw new CliInputException($"{shown}: only 'steps' is supported (a log every LoggingSteps)");
            case "evalstrategy":
                if (value == "no")
                {
                    result["evalsteps"] = "0";
                }
                else if (value == "epoch")
                {
                    warnings.Add($"{origin}: eval_strategy 'epoch' is not supported; evaluation runs every eval_steps (none when it is not set)");
                }
                else if (value != "steps")
                {
                    throw new CliInputException($"{shown}: must be no, steps or epoch");
                }

                return true;
            case "chattemplate":
                if (value is not null && !ChatTemplates.Default.TryGet(value, out _))
                {
                    // A recipe carries the template's Jinja source; the catalogue knows the common ones.
                    result["chattemplate"] = ChatTemplateRecognizer.TryRecognize(value, out ChatTemplateCatalogEntry? entry)
                        ? entry.Template.Name
                        : throw new CliInputException($"{origin}: chat_template is Jinja source that the library does not reproduce; name a registered template ({string.Join(", ", ChatTemplates.Default.Names)})");
                    return true;
                }

                return false;
            case "dtype" when value is null:
                warnings.Add($"{origin}: torch_dtype null: the model loads in DType (default float32)");
                return true;
        }

        if (NotApplicable.TryGetValue(TrainingConfiguration.TopKey(top), out string? reason))
        {
            if (!warnings.Any(w => w.StartsWith($"{origin}: {written} ", StringComparison.Ordinal)))
            {
                warnings.Add($"{origin}: {written} has no effect here: {reason}");
            }

            return true;
        }

        return false;
    }
}
