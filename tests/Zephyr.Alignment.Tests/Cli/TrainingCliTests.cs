using System.Text.Json;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Cli;

public sealed class TrainingCliTests
{
    [Fact]
    public void Dpo_trains_from_a_config_with_overrides_and_writes_a_model_that_generate_loads()
    {
        using var temp = new TempDirectory();
        string config = WriteConfig(temp, "dpo.json", new Dictionary<string, object>
        {
            ["ModelPath"] = TestPaths.Fixture("tiny-llama"),
            ["TrainFile"] = TestPaths.Fixture("data", "prefs.jsonl"),
            ["OutputDirectory"] = "out",
            ["learning_rate"] = 1e-3,
            ["Beta"] = 0.1,
            ["MaxSteps"] = 5,
            ["PerDeviceTrainBatchSize"] = 2,
            ["MaxLength"] = 192,
            ["MaxPromptLength"] = 96,
        });

        (int code, string stdout, string stderr) = ZephyrCli.Run("dpo", "--config", config, "--max-steps", "2", "--logging_steps", "1");

        Assert.True(code == 0, stderr);
        Assert.Contains("finished at step 2", stdout, StringComparison.Ordinal);
        string final = Path.Combine(temp.Path, "out");
        Assert.True(File.Exists(Path.Combine(final, "model.safetensors")));
        string[] logged = File.ReadAllLines(Path.Combine(temp.Path, "out", "metrics.jsonl"));
        Assert.Equal(2, logged.Length);
        using (JsonDocument last = JsonDocument.Parse(logged[^1]))
        {
            Assert.Contains("rewards/accuracies", last.RootElement.GetRawText(), StringComparison.Ordinal);
        }

        (int generateCode, string generated, string generateErr) = ZephyrCli.Run("generate", "--model", final, "--prompt", "Hi", "--chat", "--max-new-tokens", "3", "--json");
        Assert.True(generateCode == 0, generateErr);
        using JsonDocument output = JsonDocument.Parse(generated);
        Assert.InRange(output.RootElement.GetProperty("ids").GetArrayLength(), 1, 3);
    }

    [Fact]
    public void Sft_then_dpo_chain_like_the_recipe_and_the_result_generates()
    {
        using var temp = new TempDirectory();
        string sftConfig = WriteConfig(temp, "sft.json", new Dictionary<string, object>
        {
            ["ModelPath"] = TestPaths.Fixture("tiny-llama"),
            ["TrainFile"] = TestPaths.Fixture("data", "sft.jsonl"),
            ["OutputDirectory"] = "sft",
            ["MaxLength"] = 256,
            ["MaxSteps"] = 2,
            ["PerDeviceTrainBatchSize"] = 2,
            ["LoggingSteps"] = 1,
        });
        string dpoConfig = WriteConfig(temp, "dpo.json", new Dictionary<string, object>
        {
            ["ModelPath"] = "sft",
            ["TrainFile"] = TestPaths.Fixture("data", "prefs.parquet"),
            ["OutputDirectory"] = "dpo",
            ["MaxSteps"] = 1,
            ["PerDeviceTrainBatchSize"] = 2,
            ["MaxLength"] = 192,
            ["MaxPromptLength"] = 96,
        });

        (int sftCode, string sftOut, string sftErr) = ZephyrCli.Run("sft", "--config", sftConfig);
        Assert.True(sftCode == 0, sftErr);
        Assert.Contains("mean_token_accuracy", sftOut, StringComparison.Ordinal);
        (int dpoCode, _, string dpoErr) = ZephyrCli.Run("dpo", "--config", dpoConfig);
        Assert.True(dpoCode == 0, dpoErr);

        (int generateCode, string generated, string generateErr) = ZephyrCli.Run(
            "generate", "--model", Path.Combine(temp.Path, "dpo"), "--prompt", "Hi", "--chat", "--max-new-tokens", "3", "--json");
        Assert.True(generateCode == 0, generateErr);
        using JsonDocument output = JsonDocument.Parse(generated);
        Assert.True(output.RootElement.GetProperty("ids").GetArrayLength() > 0);
    }

    [Fact]
    public void A_shorter_dpo_run_into_a_used_folder_is_refused_and_overwrite_replaces_the_old_run()
    {
        // The reproduced data loss: 6 steps saving every 3, then 3 steps into the same folder.
        using var temp = new TempDirectory();
        string config = WriteConfig(temp, "dpo.json", new Dictionary<string, object>
        {
            ["ModelPath"] = TestPaths.Fixture("tiny-llama"),
            ["TrainFile"] = TestPaths.Fixture("data", "prefs.jsonl"),
            ["OutputDirectory"] = "out",
            ["PerDeviceTrainBatchSize"] = 2,
            ["MaxLength"] = 128,
            ["MaxPromptLength"] = 64,
            ["LoggingSteps"] = 1,
        });
        string output = Path.Combine(temp.Path, "out");

        (int first, _, string firstErr) = ZephyrCli.Run("dpo", "--config", config, "--max_steps", "6", "--SaveSteps", "3");
        (int refused, _, string refusal) = ZephyrCli.Run("dpo", "--config", config, "--max_steps", "3");
        bool checkpointSixSurvivesRefusal = Directory.Exists(Path.Combine(output, "checkpoint-6"));
        (int overwritten, _, string overwriteErr) = ZephyrCli.Run("dpo", "--config", config, "--max_steps", "3", "--overwrite_output_dir", "true");

        Assert.True(first == 0, firstErr);
        Assert.Equal(2, refused);
        Assert.Contains("checkpoint-6/", refusal, StringComparison.Ordinal);
        Assert.Contains("model.safetensors", refusal, StringComparison.Ordinal);
        Assert.Contains("resume_from_checkpoint", refusal, StringComparison.Ordinal);
        Assert.Contains("overwrite_output_dir", refusal, StringComparison.Ordinal);
        Assert.True(checkpointSixSurvivesRefusal);
        Assert.True(overwritten == 0, overwriteErr);
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoint-3")));
        Assert.False(Directory.Exists(Path.Combine(output, "checkpoint-6")));
        Assert.Equal([1L, 2L, 3L], File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt64()));
    }

    [Fact]
    public void Bad_training_configuration_is_one_line_with_exit_code_2()
    {
        using var temp = new TempDirectory();
        string config = WriteConfig(temp, "dpo.json", new Dictionary<string, object>
        {
            ["ModelPath"] = TestPaths.Fixture("tiny-llama"),
            ["TrainFile"] = TestPaths.Fixture("data", "prefs.jsonl"),
        });
        string broken = temp.File("broken.json");
        File.WriteAllText(broken, "{\"ModelPath\": ");

        (int unknownCode, _, string unknown) = ZephyrCli.Run("dpo", "--config", config, "--betta", "0.2");
        (int invalidCode, _, string invalid) = ZephyrCli.Run("dpo", "--config", config, "--beta", "-1", "--learning_rate", "0");
        (int brokenCode, _, string brokenErr) = ZephyrCli.Run("dpo", "--config", broken);
        (int missingCode, _, string missing) = ZephyrCli.Run("dpo", "--config", temp.File("absent.json"));

        Assert.Equal([2, 2, 2, 2], new[] { unknownCode, invalidCode, brokenCode, missingCode });
        Assert.Contains("'betta'", unknown, StringComparison.Ordinal);
        Assert.Contains("Beta", invalid, StringComparison.Ordinal);
        Assert.Contains("LearningRate", invalid, StringComparison.Ordinal);
        Assert.Contains("broken.json", brokenErr, StringComparison.Ordinal);
        Assert.Contains("absent.json", missing, StringComparison.Ordinal);
        Assert.All(new[] { unknown, invalid, brokenErr, missing }, e => Assert.DoesNotContain("   at ", e, StringComparison.Ordinal));
    }

    private static string WriteConfig(TempDirectory temp, string name, Dictionary<string, object> values)
    {
        string path = temp.File(name);
        File.WriteAllText(path, JsonSerializer.Serialize(values));
        return path;
    }
}
