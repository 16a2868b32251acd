using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>
/// Runs AIF: for each prompt, one completion per generator sample, one judgement of all of them, one line appended
/// to <c>scored.jsonl</c>; then binarization of every line, in prompt order, into <c>train_prefs.parquet</c> and
/// <c>train_prefs.jsonl</c>.
/// </summary>
/// <remarks>
/// <para><b>Resumable.</b> Prompts already in <c>scored.jsonl</c> are skipped, an incomplete last line left by a
/// killed run is discarded, and the pairs are derived from the whole file at the end with a per-prompt seeded
/// draw, so a resumed run writes the same dataset as an uninterrupted one. The output folder is claimed with
/// <c>aif-run.json</c>: a different prompts file or different settings into the same folder is refused, unless
/// <see cref="AifOptions.OverwriteOutputDirectory"/> deletes the earlier run's artefacts first (never other files).</para>
/// <para><b>Bounded.</b> At most <see cref="AifOptions.MaxConcurrency"/> prompts are in flight. Remote clients carry
/// their own timeout and retry pipeline (<see cref="Clients.ResilientChatClient"/>); local models queue their
/// requests.</para>
/// <para><b>Seeds.</b> Each request's seed is derived from the generator's seed (or the run's), the prompt id and the
/// sample number, so completions do not depend on the order prompts run in.</para>
/// </remarks>
public sealed partial class AifRunner
{
    /// <summary>The raw output file name.</summary>
    public const string ScoredFileName = "scored.jsonl";

    /// <summary>The split name of the pair files.</summary>
    public const string Split = "train_prefs";

    private readonly AifOptions _options;
    private readonly IReadOnlyList<AifGenerator> _generators;
    private readonly IPreferenceJudge _judge;
    private readonly string _judgeDescription;
    private readonly ILogger _logger;
    private readonly Lock _appendLock = new();

    /// <summary>Creates a runner.</summary>
    /// <param name="options">The run's settings, validated here. Where the models are (ModelPath, Endpoint, the Teacher section) is not read here: it is for whoever builds the clients and the judge (the CLI does).</param>
    /// <param name="generators">One per <see cref="AifOptions.Generators"/>, same names, same order.</param>
    /// <param name="judge">The teacher.</param>
    /// <param name="judgeDescription">What the judge is (the teacher's endpoint and model, or a type name), recorded in the manifest.</param>
    /// <param name="logger">Receives warnings; may be null.</param>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    /// <exception cref="ArgumentException">The generators do not match the options.</exception>
    public AifRunner(AifOptions options, IReadOnlyList<AifGenerator> generators, IPreferenceJudge judge, string judgeDescription, ILogger<AifRunner>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generators);
        ArgumentNullException.ThrowIfNull(judge);
        ArgumentException.ThrowIfNullOrWhiteSpace(judgeDescription);
        ValidateOptionsResult result = new AifOptionsValidator { RequireModelSources = false }.Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(AifOptions), typeof(AifOptions), result.Failures);
        }

        if (!generators.Select(g => g.Settings.Name).SequenceEqual(options.Generators.Select(g => g.Name), StringComparer.Ordinal))
        {
            throw new ArgumentException("The generators must be those of options.Generators, in the same order.", nameof(generators));
        }

        _options = options;
        _generators = generators;
        _judge = judge;
        _judgeDescription = judgeDescription;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Runs (or resumes) the whole stage.</summary>
    /// <param name="progress">Receives progress after each prompt; may be null.</param>
    /// <param name="cancellationToken">Stops after the prompts in flight; finished prompts stay in <c>scored.jsonl</c> for a resume, and no pair files are written.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="OutputDirectoryInUseException">The output folder holds another run (or AIF files without a manifest) and <see cref="AifOptions.OverwriteOutputDirectory"/> is off.</exception>
    /// <exception cref="InvalidOperationException">Overwriting would delete a file the run reads (the prompts file, a model folder).</exception>
    /// <exception cref="Zephyr.Alignment.Data.DatasetFormatException">The prompts file or an existing <c>scored.jsonl</c> is malformed.</exception>
    public async Task<AifSummary> RunAsync(IProgress<AifProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string output = Path.GetFullPath(_options.OutputDirectory);
        IReadOnlyList<AifPrompt> prompts = await PromptFile.ReadAsync(_options.PromptsFile, _options.MaxPrompts, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(output);
        if (_options.OverwriteOutputDirectory)
        {
            // Before anything is written: the old run's files never mix with the new run's.
            string?[] inputs = [_options.PromptsFile, _options.Teacher.ModelPath, .. _options.Generators.Select(g => g.ModelPath)];
            foreach (string artefact in OutputDirectoryGuard.Claim(output, RunManifest.Artefacts, OutputDirectoryMode.Overwrite, inputs))
            {
                LogArtefactOverwritten(_logger, artefact);
            }
        }

        string hash = await RunManifest.HashFileAsync(_options.PromptsFile, cancellationToken).ConfigureAwait(false);
        await RunManifest.ClaimAsync(output, RunManifest.Describe(_options, hash, _judgeDescription), cancellationToken).ConfigureAwait(false);

        string scoredPath = Path.Combine(output, ScoredFileName);
        IReadOnlyList<ScoredPromptRecord> finished = ScoredFile.ReadAndRepair(scoredPath, _options.ScoreAggregation, out int discarded);
        if (discarded > 0)
        {
            LogDiscardedLine(_logger, scoredPath, discarded);
        }

        var done = new HashSet<string>(finished.Select(r => r.Prompt.PromptId), StringComparer.Ordinal);
        AifPrompt[] pending = prompts.Where(p => !done.Contains(p.PromptId)).ToArray();
        int resumed = prompts.Count - pending.Length;
        int failedRatings = finished.Sum(r => r.FailedRatings);
        int generationFailures = finished.Sum(r => r.GenerationFailures.Count);
        int completed = 0;
        var clock = Stopwatch.StartNew();
        if (resumed > 0)
        {
            LogResuming(_logger, resumed, prompts.Count, output);
        }

        progress?.Report(new AifProgress(resumed, prompts.Count, resumed, failedRatings, generationFailures, null));
        await using (var append = new FileStream(scoredPath, FileMode.Append, FileAccess.Write, FileShare.Read))
        {
            await Parallel.ForEachAsync(
                pending,
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                async (prompt, ct) =>
                {
                    ScoredPromptRecord record = await ProcessAsync(prompt, ct).ConfigureAwait(false);
                    byte[] line = ScoredFile.ToLine(record);
                    AifProgress report;
                    lock (_appendLock)
                    {
                        // One write of the whole line, flushed to disk before the prompt counts as done.
                        append.Write(line);
                        append.Flush(flushToDisk: true);
                        completed++;
                        failedRatings += record.FailedRatings;
                        generationFailures += record.GenerationFailures.Count;
                        int remaining = pending.Length - completed;
                        report = new AifProgress(resumed + completed, prompts.Count, resumed, failedRatings, generationFailures, clock.Elapsed / completed * remaining);
                    }

                    progress?.Report(report);
                }).ConfigureAwait(false);
        }

        return await FinishAsync(output, scoredPath, prompts, resumed, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The seed of one request: SHA-256 of "{seed}:{prompt_id}:{generator}:{sample}", first 8 bytes, non-negative.</summary>
    internal static long RequestSeed(int seed, string promptId, string generator, int sample)
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(FormattableString.Invariant($"{seed}:{promptId}:{generator}:{sample}")));
        return (long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(hash) & long.MaxValue);
    }

    private async Task<ScoredPromptRecord> ProcessAsync(AifPrompt prompt, CancellationToken cancellationToken)
    {
        var candidates = new List<Candidate>();
        var failures = new List<GenerationFailure>();
        foreach (AifGenerator generator in _generators)
        {
            for (int sample = 0; sample < generator.Settings.Samples; sample++)
            {
                var chatOptions = new ChatOptions
                {
                    ModelId = generator.Settings.Model,
                    Temperature = (float)generator.Settings.Temperature,
                    TopP = (float)generator.Settings.TopP,
                    MaxOutputTokens = generator.Settings.MaxNewTokens,
                    Seed = RequestSeed(generator.Settings.Seed ?? _options.Seed, prompt.PromptId, generator.Settings.Name, sample),
                };
                try
                {
                    ChatResponse response = await generator.Client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt.Prompt)], chatOptions, cancellationToken).ConfigureAwait(false);
                    if (string.IsNullOrWhiteSpace(response.Text))
                    {
                        failures.Add(new GenerationFailure(generator.Settings.Name, sample, "empty completion"));
                    }
                    else
                    {
                        candidates.Add(new Candidate(generator.Settings.Name, response.Text, sample));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    LogGenerationFailed(_logger, generator.Settings.Name, prompt.PromptId, e.GetType().Name, e.Message);
                    failures.Add(new GenerationFailure(generator.Settings.Name, sample, $"{e.GetType().Name}: {e.Message}"));
                }
            }
        }

        ScoredPrompt scored;
        if (candidates.Count < 2)
        {
            // Nothing to compare: the teacher is not asked, and binarization drops the prompt as FewerThanTwoScored.
            scored = new ScoredPrompt(prompt.PromptId, prompt.Prompt, candidates.Select(c => new ScoredCandidate(c, new CandidateJudgement([]), null)).ToArray());
        }
        else
        {
            var request = new PreferenceJudgeRequest(prompt.PromptId, prompt.Prompt, candidates);
            PreferenceJudgement judgement = await _judge.JudgeAsync(request, cancellationToken).ConfigureAwait(false);
            judgement.EnsureAnswers(request, _judgeDescription);
            scored = ScoredPrompt.From(request, judgement, _options.ScoreAggregation);
        }

        return new ScoredPromptRecord(prompt.Index, scored, failures);
    }

    private async Task<AifSummary> FinishAsync(string output, string scoredPath, IReadOnlyList<AifPrompt> prompts, int resumed, CancellationToken cancellationToken)
    {
        IReadOnlyList<ScoredPromptRecord> records = ScoredFile.ReadAndRepair(scoredPath, _options.ScoreAggregation, out _);
        var byId = new Dictionary<string, ScoredPromptRecord>(StringComparer.Ordinal);
        foreach (ScoredPromptRecord record in records)
        {
            if (!byId.TryAdd(record.Prompt.PromptId, record))
            {
                throw new InvalidOperationException($"{scoredPath} holds prompt '{record.Prompt.PromptId}' twice; it was not written by one run of this configuration.");
            }
        }

        var binarizer = new PreferenceBinarizer(_options.ToBinarizationOptions());
        var pairs = new List<BinarizedPreference>();
        var dropped = new Dictionary<BinarizationDropReason, int>();
        foreach (AifPrompt prompt in prompts)
        {
            ScoredPromptRecord record = byId.TryGetValue(prompt.PromptId, out ScoredPromptRecord? r)
                ? r
                : throw new InvalidOperationException($"Prompt '{prompt.PromptId}' (index {prompt.Index}) is missing from {scoredPath} after the run.");
            BinarizationResult result = binarizer.Binarize(record.Prompt);
            if (result.DropReason is { } reason)
            {
                dropped[reason] = dropped.GetValueOrDefault(reason) + 1;
            }

            pairs.AddRange(result.Pairs);
        }

        (string parquet, string jsonl) = await UltraFeedbackBinarizedWriter.WriteAsync(output, Split, pairs, cancellationToken).ConfigureAwait(false);
        return new AifSummary
        {
            Prompts = prompts.Count,
            Resumed = resumed,
            Pairs = pairs.Count,
            Dropped = dropped,
            FailedRatings = records.Sum(r => r.FailedRatings),
            GenerationFailures = records.Sum(r => r.GenerationFailures.Count),
            MeanChosenScore = pairs.Count == 0 ? double.NaN : pairs.Average(p => p.ScoreChosen),
            MeanRejectedScore = pairs.Count == 0 ? double.NaN : pairs.Average(p => p.ScoreRejected),
            ScoredFile = scoredPath,
            ParquetFile = parquet,
            JsonLinesFile = jsonl,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "OverwriteOutputDirectory: deleted {Artefact}, left by an earlier AIF run")]
    private static partial void LogArtefactOverwritten(ILogger logger, string artefact);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Discarded an incomplete last line ({Bytes} bytes) of {Path}, left by an interrupted run; that prompt runs again")]
    private static partial void LogDiscardedLine(ILogger logger, string path, int bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming: {Resumed} of {Total} prompts are already finished in {Output}")]
    private static partial void LogResuming(ILogger logger, int resumed, int total, string output);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Generator {Generator} failed on prompt {PromptId}: {ExceptionType}: {Error}")]
    private static partial void LogGenerationFailed(ILogger logger, string generator, string promptId, string exceptionType, string error);
}
