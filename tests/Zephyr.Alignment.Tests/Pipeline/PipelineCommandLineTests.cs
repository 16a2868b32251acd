using System.Text.Json;
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

        var (exitCode, _, stderr) = PipelineProcess.Run("--quick", "--output", folder.File("out"), "--Pipeline:Heads=3", "--Pipeline:Beta=0", "--resume", "--overwrite");

        Assert.Equal(2, exitCode);
        Assert.Contains("HiddenSize (64) must be a multiple of Heads (3)", stderr);
        Assert.Contains("Beta must be positive", stderr);
        Assert.Contains("exclude each other", stderr);
        Assert.False(Directory.Exists(folder.File("out")));
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
}
