using System.Globalization;
using Zephyr.Alignment.Pipeline.World;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>
/// The evaluation, fixed before any result was seen: every variant answers the same held-out prompts greedily, the teacher
/// checks and rates each answer, and the table reports task accuracy, format accuracy, teacher score, the teacher-judged win
/// rate against dSFT (AlpacaEval-style, ties half) and the held-out reward accuracy of the DPO runs.
/// </summary>
internal static class EvaluationStage
{
    /// <summary>A variant to evaluate.</summary>
    public sealed record Variant(string Name, string ModelFolder, IReadOnlyDictionary<string, double>? DpoEvaluation);

    public static List<VariantMetrics> Run(PipelineContext context, IReadOnlyList<Variant> variants, CancellationToken cancellationToken)
    {
        PipelineOptions options = context.Options;
        List<WorldTask> tasks = context.Splits.Evaluation;
        Directory.CreateDirectory(context.Layout.Evaluation);
        var progress = context.Console.Start("eval", "answers");
        progress.SetTotal((double)tasks.Count * variants.Count);
        var verdicts = new Dictionary<string, (Generation.Completion Completion, TeacherVerdict Verdict)[]>(StringComparer.Ordinal);
        for (int v = 0; v < variants.Count; v++)
        {
            Variant variant = variants[v];
            List<Generation.Completion> answers;
            using (var generation = new Generation(variant.ModelFolder))
            {
                answers = generation.Answer(tasks, temperature: 0, options.MaxNewTokens, options.GenerationBatchSize, options.Seed, progress, (double)v * tasks.Count, cancellationToken);
            }

            verdicts[variant.Name] = [.. answers.Select((a, i) => (a, context.Teacher.Judge(tasks[i], a.Text)))];
            JsonLinesFile.Write(Path.Combine(context.Layout.Evaluation, variant.Name + ".jsonl"), tasks.Select((t, i) => new
            {
                prompt_id = t.Id,
                kind = t.Kind.ToString(),
                prompt = t.Prompt,
                ideal = t.IdealAnswer,
                answer = answers[i].Text,
                stopped_on_eos = answers[i].StoppedOnEos,
                format_ok = verdicts[variant.Name][i].Verdict.FormatOk,
                content_ok = verdicts[variant.Name][i].Verdict.ContentOk,
                score = verdicts[variant.Name][i].Verdict.Score,
            }));
        }

        var reference = verdicts.TryGetValue(StageNames.Dsft, out var dsft) ? dsft : null;
        var rows = new List<VariantMetrics>();
        foreach (Variant variant in variants)
        {
            var results = verdicts[variant.Name];
            bool Correct(int i) => results[i].Verdict.Correct && results[i].Completion.StoppedOnEos;
            double winRate = reference is null
                ? double.NaN
                : results.Select((r, i) => r.Verdict.Score > reference[i].Verdict.Score ? 1.0 : r.Verdict.Score == reference[i].Verdict.Score ? 0.5 : 0.0).Average();
            double Share(Func<int, bool> among, Func<int, bool> has)
                => Enumerable.Range(0, tasks.Count).Where(among).Select(i => has(i) ? 1.0 : 0.0).DefaultIfEmpty(double.NaN).Average();
            int Count(Func<double, double, bool> outcome) => reference is null ? 0 : results.Where((r, i) => outcome(r.Verdict.Score, reference[i].Verdict.Score)).Count();
            rows.Add(new VariantMetrics
            {
                Name = variant.Name,
                Prompts = tasks.Count,
                TaskAccuracy = Enumerable.Range(0, tasks.Count).Average(i => Correct(i) ? 1.0 : 0.0),
                FormatAccuracy = results.Average(r => r.Verdict.FormatOk && r.Completion.StoppedOnEos ? 1.0 : 0.0),
                TeacherScore = results.Average(r => r.Verdict.Score),
                WinRateVsDsft = winRate,
                WinsVsDsft = Count((score, dsftScore) => score > dsftScore),
                LossesVsDsft = Count((score, dsftScore) => score < dsftScore),
                TiesVsDsft = Count((score, dsftScore) => score == dsftScore),
                StoppedOnEos = results.Average(r => r.Completion.StoppedOnEos ? 1.0 : 0.0),
                ContentAccuracy = results.Average(r => r.Verdict.ContentOk ? 1.0 : 0.0),
                PreambleRate = Share(i => tasks[i].Kind != TaskKind.Refusal, i => results[i].Completion.Text.StartsWith(Demonstrator.Preamble, StringComparison.Ordinal)),
                MadeUpAnswerRate = Share(i => tasks[i].Kind == TaskKind.Refusal, i => !results[i].Verdict.ContentOk),
                EvalRewardsAccuracies = variant.DpoEvaluation?.GetValueOrDefault(MetricNames.Eval(MetricNames.RewardsAccuracies)),
                EvalRewardsMargins = variant.DpoEvaluation?.GetValueOrDefault(MetricNames.Eval(MetricNames.RewardsMargins)),
                TaskAccuracyByKind = TaskWorld.Kinds.ToDictionary(k => k.ToString(), k => Share(i => tasks[i].Kind == k, Correct)),
            });
        }

        progress.Finish(string.Join("; ", rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Name} accuracy {r.TaskAccuracy:0.000}"))));
        return rows;
    }
}
