using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Tests.Data;

namespace Zephyr.Alignment.Tests.Sft;

public sealed class SftOptionsTests
{
    [Fact]
    public void Defaults_are_the_zephyr_dsft_recipe()
    {
        var options = new SftOptions();

        Assert.Equal(2e-5, options.LearningRate);
        Assert.Equal("cosine", options.LrSchedulerType);
        Assert.Equal(0.1, options.WarmupRatio);
        Assert.Equal(1, options.NumTrainEpochs);
        Assert.Equal(2048, options.MaxLength);
        Assert.True(options.Packing);
        Assert.Equal(42, options.Seed);
        Assert.True(options.AssistantOnlyLoss);
        Assert.True(options.CompletionOnlyLoss);
        Assert.Equal(OverlongExampleHandling.Truncate, options.OverlongExamples);
        Assert.Equal(InvalidRowHandling.Throw, options.InvalidRows);
        Assert.Null(options.ChatTemplate);
    }

    [Fact]
    public void The_validator_reports_every_failure_at_once_with_name_and_value()
    {
        var options = new SftOptions
        {
            TrainFile = "missing/train.jsonl",
            EvalFile = "missing/eval.jsonl",
            ModelPath = "missing/model",
            ChatTemplate = "klingon",
            MaxLength = 1,
            LearningRate = -1,
            OverlongExamples = (OverlongExampleHandling)7,
        };

        ValidateOptionsResult result = new SftOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        string[] failures = [.. result.Failures!];
        Assert.Contains(failures, f => f.StartsWith("TrainFile", StringComparison.Ordinal) && f.Contains("missing/train.jsonl", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("EvalFile", StringComparison.Ordinal) && f.Contains("missing/eval.jsonl", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ModelPath", StringComparison.Ordinal) && f.Contains("missing/model", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ChatTemplate", StringComparison.Ordinal) && f.Contains("'klingon'", StringComparison.Ordinal) && f.Contains("zephyr", StringComparison.Ordinal));
        Assert.Contains("MaxLength must be >= 2; got 1.", failures);
        Assert.Contains(failures, f => f.StartsWith("LearningRate", StringComparison.Ordinal) && f.Contains("-1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("OverlongExamples", StringComparison.Ordinal) && f.Contains('7', StringComparison.Ordinal));
        Assert.Equal(7, failures.Length);
    }

    [Fact]
    public void Valid_options_pass_and_a_missing_train_file_is_named()
    {
        var valid = new SftOptions { TrainFile = DataFixtures.PathOf("sft.jsonl") };
        Assert.True(new SftOptionsValidator().Validate(null, valid).Succeeded);

        ValidateOptionsResult missing = new SftOptionsValidator().Validate(null, new SftOptions());
        Assert.Equal(["TrainFile must name a .parquet, .jsonl or .json file; got ''."], missing.Failures);
    }

    [Fact]
    public void Options_bind_from_configuration_and_bad_values_fail_before_any_model_is_loaded()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sft:TrainFile"] = DataFixtures.PathOf("sft.jsonl"),
            ["Sft:MaxLength"] = "0",
            ["Sft:Packing"] = "false",
            ["Sft:OverlongExamples"] = "Drop",
            ["Sft:InvalidRows"] = "Skip",
            ["Sft:PerDeviceTrainBatchSize"] = "0",
        }).Build();
        using ServiceProvider provider = new ServiceCollection()
            .AddLogging()
            .AddZephyrAlignment()
            .AddHuggingFaceModels()
            .AddSft(configuration.GetSection("Sft"))
            .Services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<SftTrainer>());

        Assert.Contains(error.Failures, f => f.StartsWith("ModelPath", StringComparison.Ordinal));
        Assert.Contains("MaxLength must be >= 2; got 0.", error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("PerDeviceTrainBatchSize", StringComparison.Ordinal));
        SftOptions bound = BindOnly(configuration);
        Assert.False(bound.Packing);
        Assert.Equal(OverlongExampleHandling.Drop, bound.OverlongExamples);
        Assert.Equal(InvalidRowHandling.Skip, bound.InvalidRows);
        Assert.Equal(2e-5, bound.LearningRate);
    }

    private static SftOptions BindOnly(IConfiguration configuration)
    {
        var options = new SftOptions();
        configuration.GetSection("Sft").Bind(options);
        return options;
    }
}
