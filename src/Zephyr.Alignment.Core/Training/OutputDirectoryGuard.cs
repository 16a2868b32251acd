using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Zephyr.Alignment.Training;

/// <summary>
/// The one rule for output folders, as Hugging Face applies it with <c>overwrite_output_dir</c>: a fresh run never
/// writes into a folder that holds another run's output; it either resumes that run or, when asked explicitly,
/// replaces it, and then the old output is deleted before anything new is written. The training loop, the SFT and DPO
/// trainers apply it through <see cref="ClaimForTraining"/>; other stages (AIF, pipelines) list their own artefacts
/// and call <see cref="Claim"/>.
/// </summary>
/// <remarks>
/// Only artefacts are ever deleted: files and folders a run of this library writes (the caller lists them). Anything
/// else in the folder, such as a config file the user keeps there, is neither an obstacle nor removed.
/// </remarks>
/// <example>
/// A stage with its own output files:
/// <code>
/// string[] artefacts = [.. new[] { "candidates.jsonl", "judgements.jsonl" }
///     .Select(name =&gt; Path.Combine(options.OutputDirectory, name)).Where(File.Exists)];
/// OutputDirectoryMode mode = options.Overwrite ? OutputDirectoryMode.Overwrite
///     : options.Resume ? OutputDirectoryMode.Resume : OutputDirectoryMode.New;
/// OutputDirectoryGuard.Claim(options.OutputDirectory, artefacts, mode,
///     resumeHint: "set Resume to true", overwriteHint: "set Overwrite to true");
/// </code>
/// </example>
public static class OutputDirectoryGuard
{
    /// <summary>The resume advice of <see cref="ClaimForTraining"/>'s error.</summary>
    public const string TrainingResumeHint = "set ResumeFromCheckpoint to 'latest' (resume_from_checkpoint)";

    /// <summary>The overwrite advice of <see cref="ClaimForTraining"/>'s error.</summary>
    public const string TrainingOverwriteHint = "set OverwriteOutputDirectory to true (overwrite_output_dir)";

    private const string MetricsFileName = "metrics.jsonl";
    private const string FinalModelStagingPrefix = ".final-model-";

    // What FinalModel.Save puts into the output folder: IPolicyModel.Save's config, weights and companion files.
    private static readonly string[] ModelFileNames = ["config.json", "model.safetensors.index.json"];
    private const string ModelWeightsPattern = "model*.safetensors";
    private static readonly string[] ModelCompanionFileNames =
    [
        "generation_config.json", "tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json", "chat_template.jinja",
    ];

    /// <summary>
    /// The artefacts of a training run in <paramref name="outputDirectory"/>: <c>checkpoint-*</c> folders (complete or
    /// not), <c>metrics.jsonl</c>, and a trained model (<c>config.json</c>, <c>model*.safetensors</c> and its index, and
    /// the tokenizer and generation files saved beside them), as full paths, sorted.
    /// </summary>
    /// <param name="outputDirectory">A training output folder; a missing one has no artefacts.</param>
    /// <returns>The artefacts; empty when the folder is missing or holds none.</returns>
    public static IReadOnlyList<string> FindTrainingArtefacts(string outputDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        string folder = Path.GetFullPath(outputDirectory);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var found = new List<string>();
        found.AddRange(Directory.EnumerateDirectories(folder, CheckpointManager.Prefix + "*"));
        found.AddRange(Directory.EnumerateDirectories(folder, FinalModelStagingPrefix + "*"));
        AddIfFile(found, Path.Combine(folder, MetricsFileName));
        var model = new List<string>();
        foreach (string name in ModelFileNames)
        {
            AddIfFile(model, Path.Combine(folder, name));
        }

        model.AddRange(Directory.EnumerateFiles(folder, ModelWeightsPattern));
        if (model.Count > 0)
        {
            // Tokenizer files alone are no trained model (a user may keep them there); beside one they are part of it.
            foreach (string name in ModelCompanionFileNames)
            {
                AddIfFile(model, Path.Combine(folder, name));
            }

            found.AddRange(model);
        }

        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>
    /// Applies the rule with <see cref="TrainingOptions"/>: <see cref="TrainingOptions.OverwriteOutputDirectory"/> claims
    /// the folder with <see cref="OutputDirectoryMode.Overwrite"/>; a <see cref="TrainingOptions.ResumeFromCheckpoint"/>
    /// that finds a checkpoint inside the folder (<c>latest</c>, or a path there) with <see cref="OutputDirectoryMode.Resume"/>;
    /// anything else, including <c>latest</c> with no checkpoint to resume and a checkpoint from another folder, with
    /// <see cref="OutputDirectoryMode.New"/>. Idempotent: a second call finds nothing more to remove.
    /// </summary>
    /// <param name="options">The run's options.</param>
    /// <param name="inputs">
    /// Files and folders the run reads (model, data, the checkpoint to resume from); overwriting fails rather than
    /// delete one of them.
    /// </param>
    /// <param name="logger">Receives each deleted artefact at Warning; none by default.</param>
    /// <returns>The artefacts deleted (only with overwrite).</returns>
    /// <exception cref="OutputDirectoryInUseException">A fresh run, and the folder holds another run's artefacts.</exception>
    /// <exception cref="InvalidOperationException">Overwriting would delete one of <paramref name="inputs"/>.</exception>
    public static IReadOnlyList<string> ClaimForTraining(TrainingOptions options, IEnumerable<string?>? inputs = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputDirectory);
        string folder = Path.GetFullPath(options.OutputDirectory);
        IReadOnlyList<string> artefacts = FindTrainingArtefacts(folder);
        var protectedPaths = new List<string?>(inputs ?? []);
        OutputDirectoryMode mode = OutputDirectoryMode.New;
        string resumeHint = TrainingResumeHint;
        if (options.OverwriteOutputDirectory)
        {
            mode = OutputDirectoryMode.Overwrite;
            protectedPaths.Add(ResumePath(options, folder));
        }
        else if (ResumePath(options, folder) is { } checkpoint && IsInside(checkpoint, folder))
        {
            mode = OutputDirectoryMode.Resume;
        }
        else if (CheckpointManager.List(folder).Count == 0)
        {
            resumeHint = "resume (it has no complete checkpoint, so it cannot be resumed)";
        }

        IReadOnlyList<string> removed = Claim(folder, artefacts, mode, protectedPaths, resumeHint, TrainingOverwriteHint);
        foreach (string artefact in removed)
        {
            TrainingLog.ArtefactOverwritten(logger ?? NullLogger.Instance, artefact);
        }

        return removed;
    }

    /// <summary>
    /// Claims <paramref name="outputDirectory"/> for a run, given the earlier <paramref name="artefacts"/> found in it:
    /// <see cref="OutputDirectoryMode.New"/> fails when there are any, <see cref="OutputDirectoryMode.Resume"/> keeps
    /// them, and <see cref="OutputDirectoryMode.Overwrite"/> deletes them now, before the run writes anything.
    /// </summary>
    /// <param name="outputDirectory">The run's output folder.</param>
    /// <param name="artefacts">Files and folders an earlier run of the same kind wrote there (full or folder-relative paths).</param>
    /// <param name="mode">How the run claims the folder.</param>
    /// <param name="inputs">Files and folders the run reads; overwriting fails rather than delete one of them (or a folder holding one).</param>
    /// <param name="resumeHint">How a user resumes, for the error message (e.g. <c>set Resume to true</c>).</param>
    /// <param name="overwriteHint">How a user overwrites, for the error message (e.g. <c>pass --overwrite</c>).</param>
    /// <returns>The deleted artefacts (full paths); empty unless <paramref name="mode"/> is <see cref="OutputDirectoryMode.Overwrite"/>.</returns>
    /// <exception cref="OutputDirectoryInUseException"><paramref name="mode"/> is <see cref="OutputDirectoryMode.New"/> and there are artefacts.</exception>
    /// <exception cref="InvalidOperationException">Overwriting would delete one of <paramref name="inputs"/>.</exception>
    public static IReadOnlyList<string> Claim(
        string outputDirectory,
        IEnumerable<string> artefacts,
        OutputDirectoryMode mode,
        IEnumerable<string?>? inputs = null,
        string resumeHint = TrainingResumeHint,
        string overwriteHint = TrainingOverwriteHint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        ArgumentNullException.ThrowIfNull(artefacts);
        string folder = Path.GetFullPath(outputDirectory);
        List<string> found = [.. artefacts.Select(a => Path.GetFullPath(a, folder)).Where(p => File.Exists(p) || Directory.Exists(p))];
        switch (mode)
        {
            case OutputDirectoryMode.Resume:
                return [];
            case OutputDirectoryMode.New:
                if (found.Count > 0)
                {
                    throw new OutputDirectoryInUseException(
                        $"The output folder '{folder}' already holds the output of an earlier run: {Describe(folder, found)}. " +
                        $"To continue that run, {resumeHint}; to replace it, {overwriteHint} (its files are deleted before the new run starts); " +
                        "or choose another output folder.",
                        folder,
                        found);
                }

                return [];
            case OutputDirectoryMode.Overwrite:
                foreach (string input in (inputs ?? []).OfType<string>().Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => Path.GetFullPath(p)))
                {
                    if (PathsEqual(input, folder) || found.Any(artefact => PathsEqual(artefact, input) || IsInside(input, artefact)))
                    {
                        throw new InvalidOperationException(
                            $"Overwriting the output folder '{folder}' would delete '{input}', which this run reads. Choose another output folder.");
                    }
                }

                foreach (string artefact in found)
                {
                    if (Directory.Exists(artefact))
                    {
                        Directory.Delete(artefact, recursive: true);
                    }
                    else
                    {
                        File.Delete(artefact);
                    }
                }

                return found;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown OutputDirectoryMode.");
        }
    }

    private static string? ResumePath(TrainingOptions options, string folder)
    {
        string? requested = options.ResumeFromCheckpoint;
        if (string.IsNullOrWhiteSpace(requested))
        {
            return null;
        }

        return string.Equals(requested.Trim(), "latest", StringComparison.OrdinalIgnoreCase)
            ? CheckpointManager.FindLatest(folder)
            : Path.GetFullPath(requested);
    }

    private static string Describe(string folder, List<string> found)
    {
        const int Shown = 8;
        IEnumerable<string> names = found.Take(Shown).Select(p => Path.GetRelativePath(folder, p) + (Directory.Exists(p) ? "/" : ""));
        string more = found.Count > Shown ? string.Create(CultureInfo.InvariantCulture, $" and {found.Count - Shown} more") : "";
        return string.Join(", ", names) + more;
    }

    private static void AddIfFile(List<string> found, string path)
    {
        if (File.Exists(path))
        {
            found.Add(path);
        }
    }

    private static bool IsInside(string path, string folder)
    {
        string relative = Path.GetRelativePath(folder, path);
        return relative != "." && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }

    private static bool PathsEqual(string a, string b)
        => string.Equals(
            a.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar),
            b.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar),
            OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
}
