using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Zephyr.Alignment.Pipeline.Stages;
using Zephyr.Alignment.Pipeline.World;

namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>
/// The end of a run: <c>ablation.json</c>, the plots, <c>report.md</c> and the summary table on the console, with an honest
/// statement of whether the paper's expected shape appeared.
/// </summary>
internal sealed class RunReport(
    PipelineContext context, IReadOnlyList<VariantMetrics> rows, AifStage.Summary aif, IReadOnlyDictionary<string, double> sftEvaluation, Dictionary<string, double> timings)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public IReadOnlyList<VariantMetrics> Rows { get; } = rows;

    /// <summary>Seconds per stage.</summary>
    public IReadOnlyDictionary<string, double> Timings => timings;

    public double TotalSeconds { get; set; }

    /// <summary>The significance level of the sign test behind <see cref="ZephyrBeatsDsft"/>.</summary>
    public const double SignificanceLevel = 0.05;

    /// <summary>
    /// dSFT + dDPO beats dSFT alone: its teacher-judged win rate against dSFT is above one half, and by more than chance
    /// (a two-sided sign test over the prompts where the teacher prefers one answer, <see cref="SignificanceLevel"/>).
    /// </summary>
    public bool ZephyrBeatsDsft => Row(StageNames.DsftDdpo).WinRateVsDsft > 0.5 && ZephyrVsDsftSignTest < SignificanceLevel;

    /// <summary>The two-sided sign test's p-value of dSFT + dDPO's wins against its losses to dSFT (ties left out).</summary>
    public double ZephyrVsDsftSignTest => SignTest.TwoSidedP(Row(StageNames.DsftDdpo).WinsVsDsft, Row(StageNames.DsftDdpo).LossesVsDsft);

    /// <summary>dDPO without dSFT follows the format worst of the three trained variants.</summary>
    public bool DdpoOnlyWorstAtFormat =>
        Row(StageNames.DdpoOnly).FormatAccuracy < Row(StageNames.Dsft).FormatAccuracy
        && Row(StageNames.DdpoOnly).FormatAccuracy < Row(StageNames.DsftDdpo).FormatAccuracy;

    public List<string> Plots { get; } = [];

    public void Write()
    {
        RunLayout layout = context.Layout;
        JsonLinesFile.WriteText(layout.AblationJson, JsonSerializer.Serialize(Rows, Indented));
        Plots.Add(Reporting.Plots.Losses(layout, Path.Combine(layout.Plots, "losses.png")));
        Plots.Add(Reporting.Plots.DpoMetric(layout, MetricNames.RewardsMargins, "dDPO reward margins", "rewards/margins", Path.Combine(layout.Plots, "reward_margins.png")));
        Plots.Add(Reporting.Plots.DpoMetric(layout, MetricNames.RewardsAccuracies, "dDPO reward accuracies", "rewards/accuracies", Path.Combine(layout.Plots, "reward_accuracies.png")));
        Plots.Add(Reporting.Plots.Ablation(Rows, Path.Combine(layout.Plots, "ablation.png")));
        JsonLinesFile.WriteText(layout.Report, Markdown());
    }

    /// <summary>The ablation as a Markdown table (also the README's).</summary>
    public string MarkdownTable()
    {
        var text = new StringBuilder();
        text.AppendLine("| variant | task accuracy | format accuracy | teacher score (1-5) | win rate vs dSFT | held-out rewards/accuracies | held-out rewards/margins |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (VariantMetrics row in Rows)
        {
            text.AppendLine(Invariant(
                $"| {Reporting.Plots.StageLabel(row.Name)} (`{row.Name}`) | {row.TaskAccuracy:0.000} | {row.FormatAccuracy:0.000} | {row.TeacherScore:0.00} | {row.WinRateVsDsft:0.000} | {Optional(row.EvalRewardsAccuracies)} | {Optional(row.EvalRewardsMargins)} |"));
        }

        return text.ToString();
    }

    /// <summary>The shape check in words.</summary>
    public IEnumerable<string> ShapeFindings()
    {
        VariantMetrics zephyr = Row(StageNames.DsftDdpo), dsft = Row(StageNames.Dsft), only = Row(StageNames.DdpoOnly);
        string counts = Invariant(
            $"{zephyr.WinsVsDsft} wins, {zephyr.LossesVsDsft} losses, {zephyr.TiesVsDsft} ties on {zephyr.Prompts} prompts, sign test {PValue(ZephyrVsDsftSignTest)}; task accuracy {zephyr.TaskAccuracy:0.000} vs {dsft.TaskAccuracy:0.000}");
        yield return ZephyrBeatsDsft
            ? Invariant($"As in the paper, dSFT + dDPO beats dSFT alone: win rate {zephyr.WinRateVsDsft:0.000} > 0.5 ({counts}).")
            : zephyr.WinRateVsDsft > 0.5
                ? Invariant($"NOT clearly as in the paper: dSFT + dDPO's win rate against dSFT is {zephyr.WinRateVsDsft:0.000}, above 0.5 but within chance ({counts}).")
                : Invariant($"NOT as in the paper: dSFT + dDPO does not beat dSFT alone (win rate {zephyr.WinRateVsDsft:0.000} ≤ 0.5; {counts}).");
        yield return DdpoOnlyWorstAtFormat
            ? Invariant($"As in the paper, dDPO without dSFT follows the format worst of the trained variants (format accuracy {only.FormatAccuracy:0.000} vs dSFT {dsft.FormatAccuracy:0.000}, dSFT + dDPO {zephyr.FormatAccuracy:0.000}).")
            : Invariant($"NOT as in the paper: dDPO without dSFT is not the worst at following the format (format accuracy {only.FormatAccuracy:0.000} vs dSFT {dsft.FormatAccuracy:0.000}, dSFT + dDPO {zephyr.FormatAccuracy:0.000}).");
    }

    public void PrintSummary()
    {
        var table = new Table().Title("mini-Zephyr ablation (held-out prompts)").Border(TableBorder.Rounded);
        foreach (string column in new[] { "variant", "task acc.", "format acc.", "teacher score", "win vs dSFT", "held-out rew. acc.", "held-out margin" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (VariantMetrics row in Rows)
        {
            table.AddRow(
                Markup.Escape(Reporting.Plots.StageLabel(row.Name)),
                Invariant($"{row.TaskAccuracy:0.000}"),
                Invariant($"{row.FormatAccuracy:0.000}"),
                Invariant($"{row.TeacherScore:0.00}"),
                Invariant($"{row.WinRateVsDsft:0.000}"),
                Optional(row.EvalRewardsAccuracies),
                Optional(row.EvalRewardsMargins));
        }

        AnsiConsole.Write(table);
        foreach (string finding in ShapeFindings())
        {
            AnsiConsole.WriteLine(finding);
        }

        AnsiConsole.WriteLine(Invariant($"AIF: {aif.Prompts} prompts → {aif.TrainPairs} train_prefs + {aif.TestPairs} test_prefs pairs; mean score chosen {aif.MeanChosen:0.00}, rejected {aif.MeanRejected:0.00}"));
        AnsiConsole.WriteLine("Stage times: " + string.Join(", ", Timings.Select(t => Invariant($"{t.Key} {t.Value:0}s"))) + Invariant($"; total {TotalSeconds:0}s"));
        AnsiConsole.WriteLine($"Everything is in {context.Layout.Root} (report.md, ablation.json, plots/, runs/ for TensorBoard).");
    }

    private string Markdown()
    {
        PipelineOptions options = context.Options;
        var text = new StringBuilder();
        text.AppendLine("# mini-Zephyr report");
        text.AppendLine();
        text.AppendLine("The Zephyr recipe (dSFT → AIF → dDPO) on the built-in task world, with the paper's ablation. Every number below was measured by this run; nothing is tuned toward the expected result.");
        text.AppendLine();
        text.AppendLine("## Ablation (held-out prompts)");
        text.AppendLine();
        text.Append(MarkdownTable());
        text.AppendLine();
        foreach (string finding in ShapeFindings())
        {
            text.AppendLine("- " + finding);
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Evaluated on {Rows[0].Prompts} held-out prompts (never trained on), greedy decoding, at most {options.MaxNewTokens} new tokens. "));
        text.AppendLine("*Task accuracy*: the whole answer in the required format, with the right content, turn ended with eos. *Format accuracy*: the required format, right or wrong. " +
            "*Teacher score*: mean of the teacher's four UltraFeedback aspect ratings. *Win rate vs dSFT*: the teacher prefers the variant's answer to dSFT's on the same prompt (ties count half). " +
            "*Held-out rewards/accuracies, margins*: DPO's implicit reward on the held-out `test_prefs` pairs, against each DPO run's own reference (n/a without DPO).");
        text.AppendLine();
        text.AppendLine("![ablation](plots/ablation.png)");
        text.AppendLine();
        text.AppendLine("### Task accuracy per task kind");
        text.AppendLine();
        text.AppendLine("| variant | " + string.Join(" | ", Rows[0].TaskAccuracyByKind.Keys) + " |");
        text.AppendLine("|---|" + string.Concat(Rows[0].TaskAccuracyByKind.Keys.Select(_ => "---:|")));
        foreach (VariantMetrics row in Rows)
        {
            text.AppendLine($"| {Reporting.Plots.StageLabel(row.Name)} | " + string.Join(" | ", row.TaskAccuracyByKind.Values.Select(v => Invariant($"{v:0.00}"))) + " |");
        }

        text.AppendLine();
        text.AppendLine("### The demonstrator's habits");
        text.AppendLine();
        text.AppendLine(Invariant($"The dSFT demonstrations come from a weaker assistant than the teacher (GPT-3.5-turbo's role in UltraChat, where GPT-4 judged AIF): it opens {options.DemonstratorPreambleRate:P0} of its answers to answerable requests with \"{Demonstrator.Preamble}\" and makes up an answer to {options.DemonstratorMadeUpAnswerRate:P0} of the unanswerable ones. ") +
            "The teacher marks both down. How often each variant shows them on the held-out prompts, beside how often its content is right whatever the format (diagnostics, not part of the teacher's ratings):");
        text.AppendLine();
        text.AppendLine("| variant | answers opening with the preamble | unanswerable requests not refused | content accuracy (any format) |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (VariantMetrics row in Rows)
        {
            text.AppendLine(Invariant($"| {Reporting.Plots.StageLabel(row.Name)} | {row.PreambleRate:0.000} | {row.MadeUpAnswerRate:0.000} | {row.ContentAccuracy:0.000} |"));
        }

        text.AppendLine();
        text.AppendLine("## Training");
        text.AppendLine();
        text.AppendLine("![losses](plots/losses.png)");
        text.AppendLine();
        text.AppendLine("![reward margins](plots/reward_margins.png)");
        text.AppendLine();
        text.AppendLine("![reward accuracies](plots/reward_accuracies.png)");
        text.AppendLine();
        text.AppendLine(Invariant($"- dSFT held-out `eval_loss` {sftEvaluation.GetValueOrDefault("eval_loss"):0.000}, `eval_mean_token_accuracy` {sftEvaluation.GetValueOrDefault("eval_mean_token_accuracy"):0.000}."));
        text.AppendLine(Invariant($"- AIF: {aif.Prompts} prompts, each answered by {aif.MeanScoreByGenerator.Count} generators ({string.Join(", ", aif.MeanScoreByGenerator.Select(g => Invariant($"`{g.Key}` mean score {g.Value:0.00}")))}); ") +
            Invariant($"{aif.TrainPairs} `train_prefs` and {aif.TestPairs} `test_prefs` pairs, {aif.EmptyCompletions} empty completions left out, {aif.Dropped.Values.Sum()} prompts dropped ({(aif.Dropped.Count == 0 ? "none" : string.Join(", ", aif.Dropped.Select(d => $"{d.Key} {d.Value}")))}); ") +
            Invariant($"mean score chosen {aif.MeanChosen:0.00}, rejected {aif.MeanRejected:0.00}."));
        text.AppendLine("- Stage times: " + string.Join(", ", Timings.Select(t => Invariant($"{t.Key} {t.Value:0} s"))) + ".");
        text.AppendLine();
        text.AppendLine("## Settings");
        text.AppendLine();
        text.AppendLine("```json");
        text.AppendLine(JsonSerializer.Serialize(options, Indented));
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine("## Files");
        text.AppendLine();
        text.AppendLine("`base/`, `dsft/`, `ddpo_only/`, `dsft_ddpo/`: Hugging Face checkpoints with `metrics.jsonl`; `aif/`: `train_prefs`/`test_prefs` (Parquet and JSONL, the `ultrafeedback_binarized` schema) and `scored.jsonl`; " +
            "`eval/`: every held-out answer with the teacher's verdict; `runs/`: TensorBoard event files; `data/`: the generated training data; `tokenizer/`: the trained tokenizer.");
        return text.ToString();
    }

    private VariantMetrics Row(string name) => Rows.First(r => r.Name == name);

    /// <summary>A p-value as a reader expects it: "p = 0.042", and "p &lt; 0.001" rather than a rounded "p = 0.000".</summary>
    private static string PValue(double p) => p < 0.001 ? "p < 0.001" : Invariant($"p = {p:0.000}");

    private static string Optional(double? value) => value is { } v ? Invariant($"{v:0.000}") : "n/a";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
