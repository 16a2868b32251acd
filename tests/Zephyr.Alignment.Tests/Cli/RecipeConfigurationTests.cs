using System.Text.Json;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Cli;

/// <summary>
/// <c>zephyr sft</c> / <c>zephyr dpo</c> read the alignment-handbook's recipes as published (YAML, TRL's names), with the
/// Hub datasets mapped to local files; unknown keys are errors, scalars become one-element lists, and a bad value says
/// whether it came from the file or the command line.
/// </summary>
public sealed class RecipeConfigurationTests
{
    // The shipped samples/recipes files, copied beside the tests (the csproj links them).
    private static readonly string Recipes = Path.Combine(AppContext.BaseDirectory, "Recipes", "zephyr-7b-beta");

    private static (int Code, JsonElement? Options, string StdErr) Validate(params string[] args)
    {
        (int code, string stdout, string stderr) = ZephyrCli.Run([.. args, "--validate-only"]);
        return (code, code == 0 ? JsonDocument.Parse(stdout).RootElement.Clone() : null, stderr);
    }

    private static string DataFolder(TempDirectory temp, string name, params string[] splits)
    {
        string folder = Path.Combine(temp.Path, name);
        Directory.CreateDirectory(folder);
        foreach (string split in splits)
        {
            File.Copy(TestPaths.Fixture("data", split.Contains("prefs", StringComparison.Ordinal) ? "prefs.parquet" : "sft.jsonl"),
                Path.Combine(folder, split + (split.Contains("prefs", StringComparison.Ordinal) ? ".parquet" : ".jsonl")));
        }

        return folder;
    }

    [Fact]
    public void The_handbook_sft_recipe_parses_maps_and_validates()
    {
        using var temp = new TempDirectory();
        string data = DataFolder(temp, "ultrachat", "train_sft", "test_sft");

        var (code, options, stderr) = Validate(
            "sft", "-c", Path.Combine(Recipes, "sft", "config_full.yaml"), "--model_name_or_path", TestPaths.Fixture("tiny-llama"),
            "--dataset", $"HuggingFaceH4/ultrachat_200k={data}");

        Assert.True(code == 0, stderr);
        JsonElement o = options!.Value;
        Assert.Equal(TestPaths.Fixture("tiny-llama"), o.GetProperty("ModelPath").GetString());
        Assert.Equal(Path.Combine(data, "train_sft.jsonl"), o.GetProperty("TrainFile").GetString());
        Assert.Equal(Path.Combine(data, "test_sft.jsonl"), o.GetProperty("EvalFile").GetString());
        Assert.Equal("zephyr", o.GetProperty("ChatTemplate").GetString()); // the recipe's Jinja source, recognised
        Assert.Equal(2e-5, o.GetProperty("LearningRate").GetDouble());
        Assert.Equal(2048, o.GetProperty("MaxLength").GetInt32()); // max_seq_length
        Assert.Equal(16, o.GetProperty("PerDeviceTrainBatchSize").GetInt32());
        Assert.Equal(1, o.GetProperty("GradientAccumulationSteps").GetInt32());
        Assert.Equal(1, o.GetProperty("NumTrainEpochs").GetDouble());
        Assert.Equal("cosine", o.GetProperty("LrSchedulerType").GetString());
        Assert.Equal(0.1, o.GetProperty("WarmupRatio").GetDouble());
        Assert.Equal(5, o.GetProperty("LoggingSteps").GetInt32());
        Assert.Equal(100, o.GetProperty("SaveSteps").GetInt32());
        Assert.Equal(42, o.GetProperty("Seed").GetInt64());
        Assert.True(o.GetProperty("OverwriteOutputDirectory").GetBoolean());
        Assert.EndsWith(Path.Combine("data", "zephyr-7b-sft-full"), o.GetProperty("OutputDirectory").GetString(), StringComparison.Ordinal);

        // The recipe's mixed precision and gradient checkpointing bind to the options of those names (docs/precision.md).
        Assert.True(o.GetProperty("Bf16").GetBoolean());
        Assert.True(o.GetProperty("GradientCheckpointing").GetBoolean());

        // Keys with no local meaning are accepted, each with a visible warning; none is silently dropped.
        Assert.Contains("push_to_hub has no effect here", stderr, StringComparison.Ordinal);
        Assert.Contains("report_to has no effect here", stderr, StringComparison.Ordinal);
        Assert.Contains("eval_strategy 'epoch' is not supported", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_handbook_dpo_recipe_parses_maps_and_validates_and_a_scalar_loss_type_is_a_list()
    {
        using var temp = new TempDirectory();
        string data = DataFolder(temp, "ultrafeedback", "train_prefs", "test_prefs");

        var (code, options, stderr) = Validate(
            "dpo", "-c", Path.Combine(Recipes, "dpo", "config_full.yaml"), "--model_name_or_path", TestPaths.Fixture("tiny-llama"),
            "--dataset", $"HuggingFaceH4/ultrafeedback_binarized={data}", "--loss_type", "ipo", "--prefix_sharing", "false");

        Assert.True(code == 0, stderr);
        JsonElement o = options!.Value;
        Assert.Equal(Path.Combine(data, "train_prefs.parquet"), o.GetProperty("TrainFile").GetString());
        Assert.Equal(Path.Combine(data, "test_prefs.parquet"), o.GetProperty("EvalFile").GetString());
        Assert.Equal(0.01, o.GetProperty("Beta").GetDouble());
        Assert.Equal(5e-7, o.GetProperty("LearningRate").GetDouble());
        Assert.Equal(1024, o.GetProperty("MaxLength").GetInt32());
        Assert.Equal(512, o.GetProperty("MaxPromptLength").GetInt32());
        Assert.Equal(8, o.GetProperty("PerDeviceTrainBatchSize").GetInt32());
        Assert.Equal(2, o.GetProperty("GradientAccumulationSteps").GetInt32());
        Assert.Equal(100, o.GetProperty("EvalSteps").GetInt32());
        Assert.Equal(10, o.GetProperty("LoggingSteps").GetInt32());
        Assert.Equal(["ipo"], o.GetProperty("LossType").EnumerateArray().Select(e => e.GetString()));
        Assert.False(o.GetProperty("PrefixSharing").GetBoolean());
    }

    [Fact]
    public void Unknown_keys_are_listed_scalars_become_lists_and_bad_values_name_their_origin()
    {
        using var temp = new TempDirectory();
        string Yaml(string name, string text)
        {
            string path = temp.File(name);
            File.WriteAllText(path, $"model_name_or_path: {TestPaths.Fixture("tiny-llama")}\ntrain_file: {TestPaths.Fixture("data", "prefs.jsonl")}\n{text}\n");
            return path;
        }

        var (unknownCode, _, unknown) = Validate("dpo", "-c", Yaml("unknown.yaml", "neftune_noise_alpha: 5\nfoo_bar: 1"));
        var (listCode, listed, listErr) = Validate("dpo", "-c", Yaml("list.yaml", "loss_type: ipo\nloss_weights: 1.0"));
        var (cliCode, _, cli) = Validate("dpo", "-c", Yaml("ok.yaml", "beta: 0.1"), "--learning_rate", "abc");
        var (cliRangeCode, _, cliRange) = Validate("dpo", "-c", Yaml("ok2.yaml", "beta: 0.1"), "--beta", "-1");
        var (fileRangeCode, _, fileRange) = Validate("dpo", "-c", Yaml("bad.yaml", "beta: -1"));
        var (mixtureCode, _, mixture) = Validate("dpo", "-c", Yaml("mixture.yaml", "dataset_mixture:\n  datasets:\n    - id: a/b"));
        var (hubCode, _, hub) = Validate("dpo", "-c", Yaml("hub.yaml", "dataset_mixer:\n  a/b_c: 1.0\ndataset_splits:\n- train_prefs"));

        Assert.Equal(2, unknownCode);
        Assert.Contains("neftunenoisealpha", unknown, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("foobar", unknown, StringComparison.OrdinalIgnoreCase);
        Assert.True(listCode == 0, listErr);
        Assert.Equal(["ipo"], listed!.Value.GetProperty("LossType").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([1.0], listed.Value.GetProperty("LossWeights").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(2, cliCode);
        Assert.StartsWith("zephyr: command line:", cli, StringComparison.Ordinal);
        Assert.Equal(2, cliRangeCode);
        Assert.Contains("command line: Beta must be", cliRange, StringComparison.Ordinal);
        Assert.Equal(2, fileRangeCode);
        Assert.Contains("bad.yaml: Beta must be", fileRange, StringComparison.Ordinal);
        Assert.Equal(2, mixtureCode);
        Assert.Contains("dataset_mixture", mixture, StringComparison.Ordinal);
        Assert.Equal(2, hubCode);
        Assert.Contains("--dataset a/b_c=FOLDER", hub, StringComparison.Ordinal);
    }
}
