namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// <c>--dataset ID[:SPLIT]=PATH</c>: where a Hub dataset named in a recipe (<c>dataset_mixer</c>, <c>dataset_name</c>) is
/// on disk. <c>ID=FOLDER</c> finds each split as <c>FOLDER/{split}.parquet</c> (or <c>.jsonl</c>);
/// <c>ID:SPLIT=FILE</c> names one split's file. Nothing is downloaded.
/// </summary>
internal sealed class DatasetMapping
{
    private static readonly string[] Extensions = [".parquet", ".jsonl", ".json"];
    private readonly Dictionary<string, string> paths;

    private DatasetMapping(Dictionary<string, string> paths) => this.paths = paths;

    public static DatasetMapping Parse(IReadOnlyList<string> mappings)
    {
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string mapping in mappings)
        {
            int equals = mapping.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || equals == mapping.Length - 1)
            {
                throw new CliInputException($"command line: --dataset '{mapping}' must be ID=FOLDER or ID:SPLIT=FILE");
            }

            paths[mapping[..equals]] = Path.GetFullPath(mapping[(equals + 1)..]);
        }

        return new DatasetMapping(paths);
    }

    /// <summary>The local file of split <paramref name="split"/> of dataset <paramref name="id"/>.</summary>
    public string Resolve(string id, string split, string origin)
    {
        if (paths.TryGetValue($"{id}:{split}", out string? file))
        {
            return File.Exists(file) ? file : throw new CliInputException($"command line: --dataset {id}:{split}={file}: the file does not exist");
        }

        if (paths.TryGetValue(id, out string? folder))
        {
            if (!Directory.Exists(folder))
            {
                throw new CliInputException($"command line: --dataset {id}={folder}: not a folder (use {id}:{split}=FILE for one file)");
            }

            string[] candidates = [.. Extensions.Select(e => Path.Combine(folder, split + e))];
            return candidates.FirstOrDefault(File.Exists)
                ?? throw new CliInputException($"command line: --dataset {id}={folder}: split '{split}' not found (looked for {string.Join(", ", candidates.Select(Path.GetFileName))})");
        }

        throw new CliInputException(
            $"{origin}: dataset '{id}' (split '{split}') is a Hub name and nothing is downloaded; map it to local files with " +
            $"--dataset {id}=FOLDER (holding {split}.parquet or .jsonl) or --dataset {id}:{split}=FILE, or set TrainFile/EvalFile instead");
    }
}
