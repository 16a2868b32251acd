using System.Text.Json;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Cli;

public sealed class LoraCliTests
{
    [Fact]
    public void Dpo_with_TRLs_peft_keys_writes_an_adapter_folder_that_generate_loads_onto_the_base()
    {
        using var temp = new TempDirectory();
        string config = temp.File("dpo.json");
        string[] fileTargets = ["q_proj", "k_proj", "v_proj", "o_proj"];
        File.WriteAllText(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["ModelPath"] = TestPaths.Fixture("tiny-llama"),
            ["TrainFile"] = TestPaths.Fixture("data", "prefs.jsonl"),
            ["OutputDirectory"] = "out",
            ["learning_rate"] = 1e-2,
            ["MaxSteps"] = 2,
            ["PerDeviceTrainBatchSize"] = 2,
            ["MaxLength"] = 192,
            ["MaxPromptLength"] = 96,
            ["use_peft"] = true,
            ["lora_r"] = 4,
            ["lora_alpha"] = 8,
            ["lora_target_modules"] = fileTargets,
        }));

        // TRL's command line gives lists as plain values; one given here replaces the file's list.
        (int code, string stdout, string stderr) = ZephyrCli.Run("dpo", "--config", config, "--lora_dropout", "0", "--lora_target_modules", "v_proj,q_proj,down_proj");

        Assert.True(code == 0, stderr);
        Assert.Contains("finished at step 2", stdout, StringComparison.Ordinal);
        string output = temp.File("out");
        Assert.False(File.Exists(Path.Combine(output, PretrainedModel.WeightsFileName)));
        using (JsonDocument adapter = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, LoraModel.AdapterConfigFileName))))
        {
            Assert.Equal(4, adapter.RootElement.GetProperty("r").GetInt32());
            Assert.Equal("0.0", adapter.RootElement.GetProperty("lora_dropout").GetRawText());
            Assert.Equal(["down_proj", "q_proj", "v_proj"], adapter.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(TestPaths.Fixture("tiny-llama"), adapter.RootElement.GetProperty("base_model_name_or_path").GetString());
        }

        (int generateCode, string generated, string generateErr) = ZephyrCli.Run(
            "generate", "--model", TestPaths.Fixture("tiny-llama"), "--adapter", output, "--prompt", "Hi", "--chat", "--max-new-tokens", "3", "--json");
        Assert.True(generateCode == 0, generateErr);
        using JsonDocument result = JsonDocument.Parse(generated);
        Assert.InRange(result.RootElement.GetProperty("ids").GetArrayLength(), 1, 3);

        // Scoring with the adapter differs from the base alone: the adapter is really applied.
        string input = temp.File("score.jsonl");
        File.WriteAllText(input, "{\"prompt\": \"Hi\", \"completion\": \" there\"}\n");
        (int baseCode, string baseScores, string baseErr) = ZephyrCli.Run("logprobs", "--model", TestPaths.Fixture("tiny-llama"), "--input", input);
        (int adaptedCode, string adaptedScores, string adaptedErr) = ZephyrCli.Run(
            "logprobs", "--model", TestPaths.Fixture("tiny-llama"), "--adapter", output, "--input", input);
        Assert.True(baseCode == 0, baseErr);
        Assert.True(adaptedCode == 0, adaptedErr);
        Assert.NotEqual(baseScores, adaptedScores);

        // A folder that is no adapter is a clear error naming the missing file.
        (int wrongCode, _, string wrong) = ZephyrCli.Run(
            "generate", "--model", TestPaths.Fixture("tiny-llama"), "--adapter", TestPaths.Fixture("tiny-llama"), "--prompt", "Hi", "--max-new-tokens", "1");
        Assert.NotEqual(0, wrongCode);
        Assert.Contains("adapter_config.json", wrong, StringComparison.Ordinal);
    }
}
