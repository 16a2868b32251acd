using System.Globalization;
using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Pipeline.World;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>
/// AIF as Zephyr did it with UltraFeedback: every held-in prompt is answered by several generators (the dSFT model at
/// several temperatures and the base model, standing in for UltraFeedback's pool of models), the teacher rates each answer
/// on the four aspects through <see cref="IPreferenceJudge"/>, and <see cref="PreferenceBinarizer"/> keeps the best as
/// <c>chosen</c> and a seeded-random other one as <c>rejected</c>. The held-out <c>test_prefs</c> split is built the same way.
/// Generation is batched on the local models (the AIF runner's <c>IChatClient</c> path answers one prompt at a time, which
/// the CPU budget of the mini run cannot afford); judging, scores, binarization and both output files are the AIF package's.
/// </summary>
internal static class AifStage
{
    /// <summary>What the AIF stage produced.</summary>
    public sealed record Summary(
        int Prompts, int TrainPairs, int TestPairs, int EmptyCompletions, IReadOnlyDictionary<string, int> Dropped, double MeanChosen, double MeanRejected,
        IReadOnlyDictionary<string, double> MeanScoreByGenerator, string TrainFile, string TestFile);

    /// <summary>The teacher as a generator: its ideal answers, like GPT-4's in UltraFeedback's pool.</summary>
    public const string TeacherGeneratorName = "teacher";

    /// <summary>A generator: a model folder sampled at a temperature, or the teacher (no model folder).</summary>
    private sealed record Generator(string Name, string? ModelFolder, double Temperature);

    public static async Task<Summary> RunAsync(PipelineContext context, string baseModel, string sftModel, CancellationToken cancellationToken)
    {
        PipelineOptions options = context.Options;
        string output = context.Layout.Aif;
        Directory.CreateDirectory(output);
        var generators = options.SftGeneratorTemperatures
            .Select(t => new Generator(string.Create(CultureInfo.InvariantCulture, $"dsft-t{t:0.0}"), sftModel, t))
            .ToList();
        if (options.BaseGeneratorTemperature > 0)
        {
            generators.Add(new Generator(string.Create(CultureInfo.InvariantCulture, $"base-t{options.BaseGeneratorTemperature:0.0}"), baseModel, options.BaseGeneratorTemperature));
        }

        if (options.TeacherGenerator)
        {
            generators.Add(new Generator(TeacherGeneratorName, null, 0));
        }

        if (generators.Count < 2)
        {
            throw new InvalidOperationException(
                $"AIF needs at least two generators to compare; got {generators.Count} (SftGeneratorTemperatures, BaseGeneratorTemperature and TeacherGenerator).");
        }

        List<WorldTask> tasks = [.. context.Splits.Aif, .. context.Splits.TestPrefs];
        var progress = context.Console.Start(StageNames.Aif, "completions");
        progress.SetTotal((double)tasks.Count * generators.Count);

        // Generation, generator by generator, so only one model is in memory at a time.
        var completions = new List<Generation.Completion>[generators.Count];
        for (int g = 0; g < generators.Count; g++)
        {
            if (generators[g].ModelFolder is not { } folder)
            {
                completions[g] = [.. tasks.Select(t => new Generation.Completion(context.Teacher.Demonstrate(t), StoppedOnEos: true))];
                progress.Report((double)(g + 1) * tasks.Count);
                continue;
            }

            using var generation = new Generation(folder);
            completions[g] = generation.Answer(
                tasks, generators[g].Temperature, options.MaxNewTokens, options.GenerationBatchSize, options.Seed + 1000L * (g + 1), progress, (double)g * tasks.Count, cancellationToken);
        }

        // Judging and binarization: the path an LLM teacher's ratings take too.
        IPreferenceJudge judge = new WorldJudge(context.Teacher, context.Splits.ById);
        var binarizer = new PreferenceBinarizer(new BinarizationOptions { Strategy = BinarizationStrategy.RandomRejected, Seed = options.Seed });
        var train = new List<BinarizedPreference>();
        var test = new List<BinarizedPreference>();
        var dropped = new Dictionary<string, int>(StringComparer.Ordinal);
        var scoredTrain = new List<byte[]>();
        var scoredTest = new List<byte[]>();
        var generatorScores = generators.ToDictionary(g => g.Name, _ => new List<double>());
        int empty = 0;
        var heldOut = context.Splits.TestPrefs.Select(t => t.Prompt).ToHashSet(StringComparer.Ordinal);
        for (int i = 0; i < tasks.Count; i++)
        {
            WorldTask task = tasks[i];
            var request = new PreferenceJudgeRequest(task.Id, task.Prompt, [.. generators.Select((g, k) => new Candidate(g.Name, completions[k][i].Text))]);
            PreferenceJudgement judgement = await judge.JudgeAsync(request, cancellationToken).ConfigureAwait(false);
            ScoredPrompt scored = ScoredPrompt.From(request, judgement, ScoreAggregation.Mean);

            // An empty answer (eos at once) is judged and kept in scored.jsonl, but it cannot be a dDPO completion
            // (the preference reader rejects empty completions), so it takes no part in binarization; it is counted.
            ScoredCandidate[] usable = [.. scored.Candidates.Where(c => c.Candidate.Completion.Length > 0)];
            empty += scored.Candidates.Count - usable.Length;
            BinarizationResult result = binarizer.Binarize(new ScoredPrompt(scored.PromptId, scored.Prompt, usable));
            bool isTest = heldOut.Contains(task.Prompt);
            (isTest ? test : train).AddRange(result.Pairs);
            if (result.DropReason is { } reason)
            {
                dropped[reason.ToString()] = dropped.GetValueOrDefault(reason.ToString()) + 1;
            }

            foreach (ScoredCandidate candidate in scored.Candidates.Where(c => c.Score is not null))
            {
                generatorScores[candidate.Candidate.Generator].Add(candidate.Score!.Value);
            }

            // scored.jsonl in the format of the AIF runner (zephyr aif): every candidate, its ratings and rationales.
            (isTest ? scoredTest : scoredTrain).Add(ScoredFile.ToLine(new ScoredPromptRecord(i, scored, [])));
        }

        JsonLinesFile.WriteBytes(Path.Combine(output, AifRunner.ScoredFileName), scoredTrain);
        JsonLinesFile.WriteBytes(Path.Combine(output, "test_prefs." + AifRunner.ScoredFileName), scoredTest);
        if (train.Count == 0 || test.Count == 0)
        {
            throw new InvalidOperationException(
                $"AIF produced {train.Count} training and {test.Count} test pairs: every prompt was dropped ({string.Join(", ", dropped.Select(d => $"{d.Key} {d.Value}"))}). " +
                "The generators agree on everything; raise the temperatures or the number of prompts.");
        }

        var (trainFile, _) = await UltraFeedbackBinarizedWriter.WriteAsync(output, "train_prefs", train, cancellationToken).ConfigureAwait(false);
        var (testFile, _) = await UltraFeedbackBinarizedWriter.WriteAsync(output, "test_prefs", test, cancellationToken).ConfigureAwait(false);
        var all = train.Concat(test).ToList();
        var summary = new Summary(
            tasks.Count, train.Count, test.Count, empty, dropped, all.Average(p => p.ScoreChosen), all.Average(p => p.ScoreRejected),
            generatorScores.ToDictionary(g => g.Key, g => g.Value.Count == 0 ? double.NaN : g.Value.Average()), trainFile, testFile);
        if (empty > 0)
        {
            progress.Note($"{empty} empty completions (eos at once) were judged but left out of the pairs: dDPO cannot train on an empty completion");
        }

        progress.Note("mean teacher score by generator: " + string.Join(", ",
            summary.MeanScoreByGenerator.Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Value:0.00}"))));
        progress.Finish(string.Create(CultureInfo.InvariantCulture,
            $"{summary.Prompts} prompts → {summary.TrainPairs} train_prefs + {summary.TestPairs} test_prefs pairs, {dropped.Values.Sum()} dropped; mean score chosen {summary.MeanChosen:0.00}, rejected {summary.MeanRejected:0.00}"));
        return summary;
    }
}
