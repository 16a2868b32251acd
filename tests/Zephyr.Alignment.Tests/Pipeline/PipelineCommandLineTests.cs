using System.Text.Json;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Tests.Aif;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Pipeline;

public sealed class PipelineCommandLineTests
{
    private static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    [Fact]
    public void Help_documents_the_options_and_exits_zero()
    {
        var (exitCode, stdout, _) = PipelineProcess.Run("--help");

        Assert.Equal(0, exitCode);
        foreach (string option in new[] { "--output", "--quick", "--resume", "--overwrite", "--recipe", "--config", "--Pipeline:KEY=VALUE", "ZEPHYR_Pipeline__Seed" })
        {
            Assert.Contains(option, stdout);
        }
    }

    [Fact]
    public void Bad_settings_from_the_command_line_and_the_environment_are_all_reported_before_any_work()
    {
        using var folder = new TempDirectory();

        var (exitCode, _, stderr) = PipelineProcess.Run("--quick", "--output", folder.File("out"), "--Pipeline:Heads=3", "--Pipeline:Beta=0", "--resume", "--overwrite",
            "--Pipeline:DpoLossTypes:0=sigmoid", "--Pipeline:DpoLossTypes:1=rpo", "--Pipeline:DpoLossWeights:0=1");

        Assert.Equal(2, exitCode);
        Assert.Contains("HiddenSize (64) must be a multiple of Heads (3)", stderr);
        Assert.Contains("Beta must be positive", stderr);
        Assert.Contains("exclude each other", stderr);
        Assert.Contains("DpoLossTypes: 'rpo' is not a known DPO loss type", stderr);
        Assert.Contains("DpoLossWeights has 1 value(s) but DpoLossTypes has 2", stderr);
        Assert.False(Directory.Exists(folder.File("out")));
    }

    [Fact]
    public void More_distinct_prompts_than_the_world_holds_is_a_bad_setting_that_names_itself()
    {
        using var folder = new TempDirectory();

        var (exitCode, _, stderr) = PipelineProcess.Run("--quick", "--output", folder.File("out"), "--Pipeline:AifPrompts=5000");

        Assert.Equal(2, exitCode);
        Assert.Contains("AifPrompts: The task world cannot draw 5000 distinct prompts", stderr);
        Assert.DoesNotContain("Unhandled exception", stderr);
    }

    [Fact]
    public void The_real_recipe_runs_dsft_then_ddpo_on_a_hugging_face_folder_and_local_hub_schema_files()
    {
        using var folder = new TempDirectory();
        string recipe = folder.File("recipe.json");
        File.WriteAllText(recipe, JsonSerializer.Serialize(new
        {
            Zephyr = new { Device = new { Device = "cpu", DType = "float32" } },
            Recipe = new
            {
                ModelPath = Fixture("tiny-llama"),
                OutputDirectory = "run",
                Sft = new { TrainFile = Fixture("data", "sft.parquet"), ChatTemplate = "zephyr", MaxLength = 256, LearningRate = 1e-3, PerDeviceTrainBatchSize = 8, SaveSteps = 0, LoggingSteps = 1 },
                Dpo = new { TrainFile = Fixture("data", "prefs.parquet"), EvalFile = Fixture("data", "prefs.jsonl"), ChatTemplate = "zephyr", MaxLength = 256, MaxPromptLength = 128, LearningRate = 1e-4, Beta = 0.1, PerDeviceTrainBatchSize = 8, SaveSteps = 0, LoggingSteps = 1 },
            },
        }));

        var (exitCode, stdout, stderr) = PipelineProcess.Run("--recipe", recipe);

        Assert.True(exitCode == 0, stdout + stderr);
        foreach (string stage in new[] { "dsft", "dsft_ddpo" })
        {
            Assert.True(File.Exists(folder.File(Path.Combine("run", stage, "model.safetensors"))), stage);
            Assert.NotEmpty(File.ReadAllLines(folder.File(Path.Combine("run", stage, "metrics.jsonl"))));
            Assert.NotEmpty(TensorBoardEventFile.Read(Assert.Single(Directory.GetFiles(folder.File(Path.Combine("run", "runs", stage)), "events.out.tfevents.*"))));
        }

        Assert.Contains("held-out eval_rewards/accuracies", stdout);
    }

    [Fact]
    public async Task The_real_recipe_runs_aif_between_dsft_and_ddpo_with_chat_client_generators_and_teacher_into_ultrafeedback_binarized_files()
    {
        // The recipe's AIF step (RecipeAif → AifRunner): the run's own dSFT model and the base checkpoint as in-process
        // LocalChatClient generators, and a teacher IChatClient over an OpenAI-compatible endpoint that answers the
        // UltraFeedback rubric by fixed rules; dDPO then trains on the train_prefs file the step wrote.
        using var folder = new TempDirectory();
        using var teacher = new RuleBasedTeacherServer();
        const int Prompts = 6;
        File.WriteAllLines(folder.File("prompts.jsonl"), Enumerable.Range(0, Prompts).Select(i =>
            JsonSerializer.Serialize(new { prompt = i % 3 == 0 ? $"Write a poem number {i}." : $"Question {i}: what is the capital of country {i}?" })));
        string recipe = folder.File("recipe.json");
        File.WriteAllText(recipe, JsonSerializer.Serialize(new
        {
            Zephyr = new { Device = new { Device = "cpu", DType = "float32" } },
            Recipe = new
            {
                ModelPath = Fixture("tiny-llama"),
                OutputDirectory = "run",
                Sft = new { TrainFile = Fixture("data", "sft.parquet"), ChatTemplate = "zephyr", MaxLength = 256, LearningRate = 1e-3, PerDeviceTrainBatchSize = 8, MaxSteps = 2, SaveSteps = 0, LoggingSteps = 1 },
                Aif = new
                {
                    PromptsFile = "prompts.jsonl", // relative to the recipe file
                    Generators = new object[]
                    {
                        new { Name = "dsft-cold", ModelPath = "dsft", Temperature = 0.3, MaxNewTokens = 10 },
                        new { Name = "base-hot", ModelPath = Fixture("tiny-llama"), Temperature = 1.2, TopP = 0.95, MaxNewTokens = 10, Samples = 2 },
                    },
                    Teacher = new { Endpoint = teacher.Endpoint, Model = "rule-based-teacher" },
                    Seed = 7,
                    MaxConcurrency = 2,
                },
                Dpo = new { EvalFile = Fixture("data", "prefs.jsonl"), ChatTemplate = "zephyr", MaxLength = 256, MaxPromptLength = 128, LearningRate = 1e-4, Beta = 0.1, PerDeviceTrainBatchSize = 2, MaxSteps = 2, SaveSteps = 0, LoggingSteps = 1 },
            },
        }));

        var (exitCode, stdout, stderr) = PipelineProcess.Run("--recipe", recipe);

        Assert.True(exitCode == 0, stdout + stderr);
        string aif = folder.File(Path.Combine("run", "aif"));

        // Every prompt answered by both generators (three candidates) and rated on the four aspects by the teacher.
        IReadOnlyList<ScoredPromptRecord> scored = ScoredFile.ReadAndRepair(Path.Combine(aif, AifRunner.ScoredFileName), ScoreAggregation.Mean, out int discarded);
        Assert.Equal(0, discarded);
        Assert.Equal(Prompts, scored.Count);
        Assert.All(scored, record =>
        {
            Assert.Equal(["base-hot", "base-hot", "dsft-cold"], record.Prompt.Candidates.Select(c => c.Candidate.Generator).Order(StringComparer.Ordinal));
            Assert.All(record.Prompt.Candidates, c => Assert.Equal(4, c.Judgement.Ratings.Count));
        });
        Assert.True(teacher.Requests >= Prompts * 4, $"the teacher answered {teacher.Requests} requests");

        // The binarized output has the Hub's ultrafeedback_binarized schema and parses as preference data.
        string parquet = Path.Combine(aif, "train_prefs.parquet");
        var columns = await DatasetReader.ReadColumnsAsync(parquet);
        Assert.Equal(["prompt", "prompt_id", "chosen", "rejected", "messages", "score_chosen", "score_rejected"], columns!.Select(c => c.Name));
        var pairs = new List<PreferenceExample>();
        await foreach (PreferenceExample pair in new PreferenceDataset(parquet).ReadAsync())
        {
            pairs.Add(pair);
        }

        Assert.NotEmpty(pairs);
        Assert.Equal(pairs.Count, await new PreferenceDataset(Path.Combine(aif, "train_prefs.jsonl")).CountRecordsAsync());
        Assert.All(pairs, p =>
        {
            Assert.True(p.ScoreChosen > p.ScoreRejected, $"{p.PromptId}: chosen {p.ScoreChosen}, rejected {p.ScoreRejected}");
            Assert.Contains(scored, r => r.Prompt.PromptId == p.PromptId);
        });

        // dDPO trained on that file.
        Assert.True(File.Exists(folder.File(Path.Combine("run", "dsft_ddpo", "model.safetensors"))));
        Assert.NotEmpty(File.ReadAllLines(folder.File(Path.Combine("run", "dsft_ddpo", "metrics.jsonl"))));
        Assert.Contains("held-out eval_rewards/accuracies", stdout);
    }
}
