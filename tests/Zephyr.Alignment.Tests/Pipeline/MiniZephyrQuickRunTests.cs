using System.Buffers.Binary;
using System.Text.Json;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Pipeline.Stages;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary>Runs the README's main command with <c>--quick</c> once, as a process, and checks that every artefact exists and parses.</summary>
public sealed class QuickRunFixture : IDisposable
{
    public QuickRunFixture()
    {
        Result = PipelineProcess.Run("--quick", "--output", Folder.Path);
    }

    public TempDirectory Folder { get; } = new();

    public (int ExitCode, string StdOut, string StdErr) Result { get; }

    public string Path(params string[] parts) => System.IO.Path.Combine([Folder.Path, .. parts]);

    public void Dispose() => Folder.Dispose();
}

public sealed class MiniZephyrQuickRunTests(QuickRunFixture run) : IClassFixture<QuickRunFixture>
{
    private static readonly string[] Stages = [StageNames.Base, StageNames.Dsft, StageNames.DdpoOnly, StageNames.DsftDdpo];

    [Fact]
    public void The_run_succeeds_and_prints_the_stages_and_the_summary_table()
    {
        Assert.True(run.Result.ExitCode == 0, $"exit {run.Result.ExitCode}\n{run.Result.StdOut}\n{run.Result.StdErr}");
        foreach (string stage in Stages.Append(StageNames.Aif).Append("eval"))
        {
            Assert.Contains($"[{stage}] done in", run.Result.StdOut);
        }

        Assert.Contains("mini-Zephyr ablation", run.Result.StdOut);
        Assert.Contains("Stage times:", run.Result.StdOut);
    }

    [Fact]
    public void Every_stage_leaves_a_loadable_hugging_face_checkpoint_with_its_tokenizer_and_a_metrics_file()
    {
        foreach (string stage in Stages)
        {
            using CausalLanguageModel model = PretrainedModel.Load(run.Path(stage));
            ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(run.Path(stage));
            Assert.Equal(tokenizer.VocabularySize, model.VocabularySize);
            Assert.NotNull(tokenizer.ChatTemplate);

            string[] lines = File.ReadAllLines(run.Path(stage, "metrics.jsonl"));
            Assert.NotEmpty(lines);
            Assert.All(lines, line =>
            {
                using JsonDocument record = JsonDocument.Parse(line);
                Assert.True(record.RootElement.GetProperty("step").GetInt64() > 0);
            });
            Assert.Contains(lines, line => line.Contains("\"loss\"", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_aif_output_is_ultrafeedback_binarized_parquet_and_jsonl_that_dpo_reads_and_scored_jsonl_keeps_every_candidate()
    {
        foreach (string split in new[] { "train_prefs", "test_prefs" })
        {
            long parquetRows = await new PreferenceDataset(run.Path("aif", split + ".parquet")).CountRecordsAsync();
            long jsonRows = await new PreferenceDataset(run.Path("aif", split + ".jsonl")).CountRecordsAsync();
            Assert.True(parquetRows > 0, split);
            Assert.Equal(parquetRows, jsonRows);
        }

        // The AIF runner's scored.jsonl format (Aif's ScoredFile reads it back): train prompts, and the held-out ones beside.
        IReadOnlyList<ScoredPromptRecord> train = ScoredFile.ReadAndRepair(run.Path("aif", "scored.jsonl"), ScoreAggregation.Mean, out int discarded);
        IReadOnlyList<ScoredPromptRecord> test = ScoredFile.ReadAndRepair(run.Path("aif", "test_prefs.scored.jsonl"), ScoreAggregation.Mean, out _);
        Assert.Equal(0, discarded);
        Assert.Equal((48, 16), (train.Count, test.Count)); // appsettings.quick.json: AifPrompts, TestPrefPrompts
        Assert.All(train.Concat(test), record =>
        {
            Assert.Equal(7, record.Prompt.Candidates.Count); // six dSFT temperatures and the base model
            Assert.All(record.Prompt.Candidates, c =>
            {
                Assert.Equal(4, c.Judgement.Ratings.Count);
                Assert.InRange(c.Score!.Value, 1, 5);
            });
        });
    }

    [Fact]
    public void Ablation_json_has_one_object_per_variant_with_its_metrics()
    {
        using JsonDocument ablation = JsonDocument.Parse(File.ReadAllText(run.Path("ablation.json")));
        JsonElement[] rows = [.. ablation.RootElement.EnumerateArray()];

        Assert.Equal(Stages, rows.Select(r => r.GetProperty("name").GetString()));
        foreach (JsonElement row in rows)
        {
            foreach (string metric in new[] { "task_accuracy", "format_accuracy", "win_rate_vs_dsft", "stopped_on_eos", "content_accuracy", "preamble_rate", "made_up_answer_rate" })
            {
                Assert.InRange(row.GetProperty(metric).GetDouble(), 0, 1);
            }

            Assert.InRange(row.GetProperty("teacher_score").GetDouble(), 1, 5);
            Assert.Equal(8, row.GetProperty("task_accuracy_by_kind").EnumerateObject().Count());
            int wins = row.GetProperty("wins_vs_dsft").GetInt32(), losses = row.GetProperty("losses_vs_dsft").GetInt32(), ties = row.GetProperty("ties_vs_dsft").GetInt32();
            int prompts = row.GetProperty("prompts").GetInt32();
            Assert.Equal(prompts, wins + losses + ties);
            Assert.Equal((wins + (0.5 * ties)) / prompts, row.GetProperty("win_rate_vs_dsft").GetDouble(), 1e-12);
        }

        Assert.Equal(rows[1].GetProperty("prompts").GetInt32(), rows[1].GetProperty("ties_vs_dsft").GetInt32());

        Assert.Equal(0.5, rows[1].GetProperty("win_rate_vs_dsft").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("eval_rewards_accuracies").ValueKind);
        Assert.InRange(rows[3].GetProperty("eval_rewards_accuracies").GetDouble(), 0, 1);
    }

    [Fact]
    public void The_plots_are_png_images_and_the_report_embeds_them_with_the_table()
    {
        string report = File.ReadAllText(run.Path("report.md"));
        foreach (string plot in new[] { "losses", "reward_margins", "reward_accuracies", "ablation" })
        {
            byte[] png = File.ReadAllBytes(run.Path("plots", plot + ".png"));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
            Assert.Equal((900, 520), (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))));
            Assert.Contains($"(plots/{plot}.png)", report);
        }

        Assert.Contains("| dSFT + dDPO (`dsft_ddpo`) |", report);
        Assert.Contains("| dDPO only (`ddpo_only`) |", report);
        Assert.Contains("### The demonstrator's habits", report);
    }

    [Fact]
    public void The_dsft_demonstrations_are_the_demonstrators_with_its_habits_in_the_ultrachat_schema()
    {
        string[] answers = [.. File.ReadLines(run.Path("data", "sft_train.jsonl")).Select(line =>
        {
            using JsonDocument record = JsonDocument.Parse(line);
            JsonElement messages = record.RootElement.GetProperty("messages");
            Assert.Equal(["user", "assistant"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
            return messages[1].GetProperty("content").GetString()!;
        })];

        // The quick run keeps appsettings.json's rates (0.6 each): both habits and plain answers are in the file.
        Assert.Contains(answers, a => a.StartsWith("Sure! ", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.StartsWith("The answer is", StringComparison.Ordinal));
        Assert.Contains(answers, a => a == "I cannot know that.");
        Assert.Contains(answers, a => !a.StartsWith("Sure! ", StringComparison.Ordinal) && a != "I cannot know that.");
    }

    [Fact]
    public void Each_training_stage_has_a_tensorboard_event_file_that_parses()
    {
        foreach (string stage in Stages)
        {
            string file = Assert.Single(Directory.GetFiles(run.Path("runs", stage), "events.out.tfevents.*"));
            List<TensorBoardEventFile.Event> events = TensorBoardEventFile.Read(file);
            Assert.Contains(events, e => e.Scalars.Any(s => s.Tag == "loss" && float.IsFinite(s.Value)));
        }

        Assert.Contains(TensorBoardEventFile.Read(Directory.GetFiles(run.Path("runs", StageNames.DsftDdpo))[0]), e => e.Scalars.Any(s => s.Tag == "eval_rewards/accuracies"));
    }

    [Fact]
    public void A_fresh_run_into_the_folder_of_another_run_is_refused_and_deletes_nothing()
    {
        long before = Directory.GetFiles(run.Folder.Path, "*", SearchOption.AllDirectories).Length;

        var (exitCode, _, stderr) = PipelineProcess.Run("--quick", "--output", run.Folder.Path);

        Assert.Equal(2, exitCode);
        Assert.Contains("--resume", stderr);
        Assert.Contains("--overwrite", stderr);
        Assert.Equal(before, Directory.GetFiles(run.Folder.Path, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Resume_with_other_settings_is_refused_naming_each_difference_and_changes_nothing()
    {
        string settings = File.ReadAllText(run.Path("settings.json"));
        long before = Directory.GetFiles(run.Folder.Path, "*", SearchOption.AllDirectories).Length;

        var (exitCode, stdout, stderr) = PipelineProcess.Run("--quick", "--resume", "--output", run.Folder.Path, "--Pipeline:Seed=7", "--Pipeline:DpoEpochs=3");

        Assert.True(exitCode == 2, stdout + stderr);
        Assert.Contains("Seed: 42 in the run, 7 now", stderr);
        Assert.Contains("DpoEpochs: 1 in the run, 3 now", stderr);
        Assert.DoesNotContain("finished in an earlier run", stdout);
        Assert.Equal(settings, File.ReadAllText(run.Path("settings.json")));
        Assert.Equal(before, Directory.GetFiles(run.Folder.Path, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public void Resume_keeps_the_finished_stages()
    {
        var (exitCode, stdout, stderr) = PipelineProcess.Run("--quick", "--resume", "--output", run.Folder.Path);

        Assert.True(exitCode == 0, stdout + stderr);
        foreach (string stage in new[] { StageNames.Base, StageNames.Dsft, StageNames.Aif, StageNames.DdpoOnly, StageNames.DsftDdpo })
        {
            Assert.Contains($"[{stage}] finished in an earlier run; kept (--resume)", stdout);
        }
    }
}
