using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Candidates;
using Zephyr.Alignment.Aif.Clients;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Tests.Aif;

/// <summary>The AIF stage end to end in process: our tiny model at two temperatures as generators, the rule-based teacher.</summary>
public sealed class AifRunnerTests : IDisposable
{
    private const int PromptCount = 6;
    private readonly TempDirectory _folder = new();
    private readonly LocalChatClient _model = LocalChatClient.Load(TestPaths.Fixture("tiny-llama"), new LocalChatClientOptions { ModelId = "tiny" });

    public void Dispose()
    {
        _model.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_run_scores_every_prompt_once_and_writes_pairs_that_dpo_trains_on_unchanged()
    {
        AifOptions options = Options("out");
        var progress = new List<AifProgress>();
        AifSummary summary = await Runner(options, new RuleBasedTeacher.Judge()).RunAsync(new SynchronousProgress(progress.Add));

        string[] lines = File.ReadAllLines(summary.ScoredFile);
        Assert.Equal(PromptCount, lines.Length);
        Assert.Equal(PromptCount, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("prompt_id").GetString()).Distinct().Count());
        using (JsonDocument first = JsonDocument.Parse(lines[0]))
        {
            JsonElement candidate = first.RootElement.GetProperty("candidates")[0];
            Assert.Equal(4, candidate.GetProperty("ratings").GetArrayLength());
            Assert.Contains(candidate.GetProperty("generator").GetString(), new[] { "tiny-cold", "tiny-hot" });
        }

        Assert.Equal(PromptCount, summary.Prompts);
        Assert.Equal(PromptCount, summary.Pairs + summary.DroppedTotal);
        Assert.True(summary.Pairs >= 2, $"expected pairs from {PromptCount} prompts with 3 candidates each; dropped {string.Join(", ", summary.Dropped)}");
        Assert.True(summary.MeanChosenScore > summary.MeanRejectedScore);
        Assert.Equal(PromptCount, progress[^1].Done);
        Assert.Equal(0, progress[^1].Remaining);
        Assert.Equal(TimeSpan.Zero, progress[^1].Eta);

        // The DPO stage reads the output as it is and takes a few steps on it.
        var dpo = new DpoOptions
        {
            ModelPath = TestPaths.Fixture("tiny-llama"),
            TrainFile = summary.ParquetFile,
            OutputDirectory = Path.Combine(_folder.Path, "dpo"),
            Beta = 0.1,
            LearningRate = 1e-3,
            MaxSteps = 2,
            PerDeviceTrainBatchSize = 2,
            MaxLength = 128,
            MaxPromptLength = 64,
            LoggingSteps = 1,
            SaveSteps = 0,
        };
        using var trainer = new DpoTrainer(dpo, new Zephyr.Alignment.Runtime.TorchDeviceOptions { Device = "cpu" }, new Zephyr.Alignment.Models.HuggingFaceModelLoader());
        TrainingResult result = await trainer.TrainAsync();
        Assert.Equal(2, result.GlobalStep);
        Assert.True(double.IsFinite(result.Metrics["loss"]));
    }

    [Fact]
    public async Task A_cancelled_run_resumes_where_it_stopped_and_gives_the_same_dataset_as_an_uninterrupted_run()
    {
        AifSummary straight = await Runner(Options("straight"), new RuleBasedTeacher.Judge()).RunAsync();

        AifOptions options = Options("resumed");
        using var cancel = new CancellationTokenSource();
        var judge = new RuleBasedTeacher.Judge();
        options.MaxConcurrency = 1;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Runner(options, judge).RunAsync(
            new SynchronousProgress(p =>
            {
                if (p.Done == 2)
                {
                    cancel.Cancel();
                }
            }),
            cancel.Token));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(options.OutputDirectory, "scored.jsonl")).Length);
        Assert.False(File.Exists(Path.Combine(options.OutputDirectory, "train_prefs.parquet")));

        var second = new RuleBasedTeacher.Judge();
        AifSummary resumed = await Runner(options, second).RunAsync();
        Assert.Equal(2, resumed.Resumed);
        Assert.Equal(PromptCount - 2, second.Calls);
        Assert.Equal(File.ReadAllBytes(straight.JsonLinesFile), File.ReadAllBytes(resumed.JsonLinesFile));
        Assert.Equal(File.ReadAllBytes(straight.ParquetFile), File.ReadAllBytes(resumed.ParquetFile));
        Assert.Equal(Sorted(straight.ScoredFile), Sorted(resumed.ScoredFile));
    }

    [Fact]
    public async Task An_incomplete_last_line_left_by_a_kill_is_discarded_and_that_prompt_runs_again()
    {
        AifOptions options = Options("partial");
        AifSummary first = await Runner(options, new RuleBasedTeacher.Judge()).RunAsync();
        string[] lines = File.ReadAllLines(first.ScoredFile);
        File.WriteAllText(first.ScoredFile, string.Join('\n', lines[..3]) + "\n" + lines[3][..(lines[3].Length / 2)]);

        var judge = new RuleBasedTeacher.Judge();
        AifSummary again = await Runner(options, judge).RunAsync();
        Assert.Equal(3, again.Resumed);
        Assert.Equal(PromptCount - 3, judge.Calls);
        Assert.Equal(PromptCount, File.ReadAllLines(again.ScoredFile).Length);
    }

    [Fact]
    public async Task A_different_configuration_or_prompts_file_into_the_same_folder_is_refused_naming_the_artefacts_and_both_ways_on()
    {
        AifOptions options = Options("taken");
        await Runner(options, new RuleBasedTeacher.Judge()).RunAsync();
        byte[] before = File.ReadAllBytes(Path.Combine(options.OutputDirectory, "scored.jsonl"));

        AifOptions hotter = Options("taken");
        hotter.Generators[1].Temperature = 1.5;
        var e = await Assert.ThrowsAsync<OutputDirectoryInUseException>(() => Runner(hotter, new RuleBasedTeacher.Judge()).RunAsync());
        Assert.Contains("this is another AIF run: the settings differ (generators)", e.Message, StringComparison.Ordinal);
        Assert.Contains("scored.jsonl, train_prefs.parquet, train_prefs.jsonl, aif-run.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("rerun with the prompts file and settings it was made with", e.Message, StringComparison.Ordinal);
        Assert.Contains("set OverwriteOutputDirectory to true (overwrite_output_dir)", e.Message, StringComparison.Ordinal);
        Assert.Equal(4, e.Artefacts.Count);

        AifOptions otherPrompts = Options("taken");
        otherPrompts.PromptsFile = WritePrompts("other.jsonl", 3);
        e = await Assert.ThrowsAsync<OutputDirectoryInUseException>(() => Runner(otherPrompts, new RuleBasedTeacher.Judge()).RunAsync());
        Assert.Contains("the prompts file's content differs", e.Message, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(_folder.Path, "foreign"));
        File.WriteAllText(Path.Combine(_folder.Path, "foreign", "train_prefs.jsonl"), "{}\n");
        e = await Assert.ThrowsAsync<OutputDirectoryInUseException>(() => Runner(Options("foreign"), new RuleBasedTeacher.Judge()).RunAsync());
        Assert.Contains("already holds the output of an earlier run: train_prefs.jsonl.", e.Message, StringComparison.Ordinal);
        Assert.Contains("it holds no aif-run.json, so it cannot be resumed", e.Message, StringComparison.Ordinal);
        Assert.Contains("OverwriteOutputDirectory", e.Message, StringComparison.Ordinal);

        Assert.Equal(before, File.ReadAllBytes(Path.Combine(options.OutputDirectory, "scored.jsonl")));
    }

    [Fact]
    public async Task OverwriteOutputDirectory_replaces_an_earlier_run_with_exactly_the_new_dataset_and_leaves_other_files_alone()
    {
        AifOptions first = Options("replaced");
        await Runner(first, new RuleBasedTeacher.Judge()).RunAsync();
        string notes = Path.Combine(first.OutputDirectory, "notes.txt");
        File.WriteAllText(notes, "kept");

        // The reference: the new settings into a clean folder.
        AifOptions reseeded = Options("reference");
        reseeded.Seed = 8;
        AifSummary reference = await Runner(reseeded, new RuleBasedTeacher.Judge()).RunAsync();

        AifOptions overwrite = Options("replaced");
        overwrite.Seed = 8;
        overwrite.OverwriteOutputDirectory = true;
        var log = new Sft.RecordingLogger<AifRunner>();
        var judge = new RuleBasedTeacher.Judge();
        AifSummary replaced = await new AifRunner(overwrite, overwrite.Generators.Select(g => new AifGenerator(g, _model)).ToArray(), judge, "rule-based judge", log).RunAsync();

        Assert.Equal(0, replaced.Resumed);
        Assert.Equal(PromptCount, judge.Calls);
        Assert.Equal(File.ReadAllBytes(reference.JsonLinesFile), File.ReadAllBytes(replaced.JsonLinesFile));
        Assert.Equal(File.ReadAllBytes(reference.ParquetFile), File.ReadAllBytes(replaced.ParquetFile));
        Assert.Equal(Sorted(reference.ScoredFile), Sorted(replaced.ScoredFile));
        Assert.Equal(8, JsonNode.Parse(File.ReadAllText(Path.Combine(overwrite.OutputDirectory, "aif-run.json")))!["settings"]!["seed"]!.GetValue<int>());
        Assert.Equal("kept", File.ReadAllText(notes));
        Assert.Equal(
            ["aif-run.json", "notes.txt", "scored.jsonl", "train_prefs.jsonl", "train_prefs.parquet"],
            Directory.GetFileSystemEntries(overwrite.OutputDirectory).Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal).ToArray());
        string[] deleted = [.. log.Entries.Where(l => l.Level == LogLevel.Warning && l.Message.StartsWith("OverwriteOutputDirectory: deleted", StringComparison.Ordinal)).Select(l => l.Message)];
        Assert.Equal(4, deleted.Length);
        Assert.All(["scored.jsonl", "train_prefs.parquet", "train_prefs.jsonl", "aif-run.json"], name => Assert.Contains(deleted, m => m.Contains(Path.Combine(overwrite.OutputDirectory, name), StringComparison.Ordinal)));

        // Overwriting never deletes what the run reads.
        overwrite.PromptsFile = Path.Combine(overwrite.OutputDirectory, "train_prefs.jsonl");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Runner(overwrite, new RuleBasedTeacher.Judge()).RunAsync());
        Assert.Contains("which this run reads", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(overwrite.PromptsFile));
    }

    [Fact]
    public async Task Generation_and_teacher_failures_are_recorded_with_their_reasons_and_counted()
    {
        AifOptions options = Options("failures");
        options.Generators.Add(new GeneratorOptions { Name = "unreachable", Endpoint = "http://127.0.0.1:9/v1", Model = "nothing" });
        options.Teacher = new TeacherOptions { Endpoint = "http://127.0.0.1:9/v1", Model = "teacher" };
        IChatClient unreachable = OpenAICompatibleChatClients.Create("http://127.0.0.1:9/v1", "nothing", null, maxRetries: 1, TimeSpan.FromSeconds(10), TimeSpan.Zero);
        var generators = new List<AifGenerator>
        {
            new(options.Generators[0], _model),
            new(options.Generators[1], _model),
            new(options.Generators[2], unreachable),
        };
        var teacher = new RuleBasedTeacher.ChatClient(garble: (_, aspect) => aspect == FeedbackAspect.Honesty);
        var judge = new ChatPreferenceJudge(teacher, new ChatPreferenceJudgeOptions { MaxAttempts = 1 });
        AifSummary summary = await new AifRunner(options, generators, judge, "rule-based chat teacher").RunAsync();

        Assert.Equal(PromptCount, summary.GenerationFailures);
        Assert.Equal(PromptCount * 3, summary.FailedRatings);
        Assert.Equal(PromptCount, summary.Dropped[BinarizationDropReason.FewerThanTwoScored]);
        using JsonDocument line = JsonDocument.Parse(File.ReadLines(summary.ScoredFile).First());
        JsonElement failure = line.RootElement.GetProperty("generation_failures")[0];
        Assert.Equal("unreachable", failure.GetProperty("generator").GetString());
        Assert.Contains("Connection refused", failure.GetProperty("error").GetString(), StringComparison.Ordinal);
        JsonElement ratingFailure = line.RootElement.GetProperty("candidates")[0].GetProperty("failures")[0];
        Assert.Equal("honesty", ratingFailure.GetProperty("aspect").GetString());
        Assert.Equal("I like Text 1 best. Rating: eleven", ratingFailure.GetProperty("raw_answer").GetString());
        Assert.Equal(JsonValueKind.Null, line.RootElement.GetProperty("candidates")[0].GetProperty("score").ValueKind);
    }

    [Fact]
    public void Options_are_validated_all_at_once()
    {
        var options = new AifOptions
        {
            Generators = [new GeneratorOptions { Name = "a", ModelPath = "m", Endpoint = "http://x/v1" }, new GeneratorOptions { Name = "a", Samples = 3, Temperature = 0, Endpoint = "ftp://x" }],
            MaxConcurrency = 0,
            Margin = 1,
        };
        ValidateOptionsResult result = new AifOptionsValidator().Validate(null, options);
        string message = string.Join("\n", result.Failures!);
        Assert.Contains("PromptsFile is required.", message, StringComparison.Ordinal);
        Assert.Contains("Generators:0 ('a') needs exactly one of ModelPath", message, StringComparison.Ordinal);
        Assert.Contains("Generators:1 ('a'):Endpoint 'ftp://x' is not an http(s) URL.", message, StringComparison.Ordinal);
        Assert.Contains("Generators:1:Samples is 3 with Temperature 0", message, StringComparison.Ordinal);
        Assert.Contains("Generator name 'a' is used 2 times", message, StringComparison.Ordinal);
        Assert.Contains("Teacher needs exactly one of ModelPath", message, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrency must be at least 1", message, StringComparison.Ordinal);
        Assert.Contains("Margin (1) applies only to Strategy AllPairsAboveMargin", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prompts_come_from_jsonl_with_optional_ids_or_parquet_with_a_prompt_column_and_bad_rows_are_named()
    {
        string jsonl = _folder.File("p.jsonl");
        File.WriteAllText(jsonl, "{\"prompt\": \"a\", \"prompt_id\": \"id-a\"}\n\n{\"prompt\": \"b\", \"source\": \"x\"}\n");
        IReadOnlyList<AifPrompt> prompts = await PromptFile.ReadAsync(jsonl);
        Assert.Equal([new AifPrompt(0, "id-a", "a"), new AifPrompt(1, PromptIds.FromPrompt("b"), "b")], prompts);

        string parquet = _folder.File("p.parquet");
        await Parquet.Serialization.ParquetSerializer.SerializeAsync(new[] { new PromptRow { Prompt = "x", Models = "m" }, new PromptRow { Prompt = "y", Models = "n" } }, parquet);
        Assert.Equal(["x", "y"], (await PromptFile.ReadAsync(parquet)).Select(p => p.Prompt));

        File.WriteAllText(jsonl, "{\"prompt\": \"a\"}\n{\"prompt\": \"a\"}\n");
        var e = await Assert.ThrowsAsync<DatasetFormatException>(() => PromptFile.ReadAsync(jsonl));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("already used at line 1", e.Message, StringComparison.Ordinal);
        File.WriteAllText(jsonl, "{\"prompt\": \"a\"}\n{\"text\": \"b\"}\n");
        e = await Assert.ThrowsAsync<DatasetFormatException>(() => PromptFile.ReadAsync(jsonl));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Request_seeds_depend_on_the_seed_prompt_generator_and_sample_only()
    {
        long a = AifRunner.RequestSeed(42, "p", "g", 0);
        Assert.Equal(a, AifRunner.RequestSeed(42, "p", "g", 0));
        Assert.NotEqual(a, AifRunner.RequestSeed(42, "p", "g", 1));
        Assert.NotEqual(a, AifRunner.RequestSeed(43, "p", "g", 0));
        Assert.True(a >= 0);
    }

    private AifRunner Runner(AifOptions options, IPreferenceJudge judge) =>
        new(options, options.Generators.Select(g => new AifGenerator(g, _model)).ToArray(), judge, "rule-based judge");

    private AifOptions Options(string output) => new()
    {
        PromptsFile = File.Exists(_folder.File("prompts.jsonl")) ? _folder.File("prompts.jsonl") : WritePrompts("prompts.jsonl", PromptCount),
        Generators =
        [
            new GeneratorOptions { Name = "tiny-cold", Model = "tiny", Temperature = 0.3, MaxNewTokens = 10 },
            new GeneratorOptions { Name = "tiny-hot", Model = "tiny", Temperature = 1.2, TopP = 0.95, MaxNewTokens = 10, Samples = 2 },
        ],
        OutputDirectory = Path.Combine(_folder.Path, output),
        Seed = 7,
        MaxConcurrency = 3,
    };

    private string WritePrompts(string name, int count)
    {
        string path = _folder.File(name);
        File.WriteAllLines(path, Enumerable.Range(0, count).Select(i => JsonSerializer.Serialize(new { prompt = i % 3 == 0 ? $"Write a poem number {i}." : $"Question {i} for {name}?" })));
        return path;
    }

    private static string[] Sorted(string path) => File.ReadAllLines(path).Order(StringComparer.Ordinal).ToArray();

    private sealed class SynchronousProgress(Action<AifProgress> report) : IProgress<AifProgress>
    {
        public void Report(AifProgress value) => report(value);
    }

    private sealed class PromptRow
    {
        [System.Text.Json.Serialization.JsonPropertyName("prompt")]
        public string Prompt { get; set; } = string.Empty;

        [System.Text.Json.Serialization.JsonPropertyName("models")]
        public string Models { get; set; } = string.Empty;
    }
}
