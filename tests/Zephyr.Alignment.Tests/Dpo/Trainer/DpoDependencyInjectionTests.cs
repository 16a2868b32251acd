using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TorchSharp;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

[Collection(GlobalRandomStateCollection.Name)]
public sealed class DpoDependencyInjectionTests
{
    [Fact]
    public async Task A_provider_built_from_configuration_resolves_a_trainer_that_trains_on_the_fixtures()
    {
        using var folder = new TempDirectory();
        var logs = new CapturingLoggerProvider();
        IConfiguration configuration = Configuration(folder, new()
        {
            ["Zephyr:Dpo:EvalFile"] = TestPaths.Fixture("data", "prefs-plain.jsonl"),
            ["Zephyr:Dpo:PrecomputeRefLogProbs"] = "true",
            ["Zephyr:Dpo:RefLogProbsCacheDirectory"] = Path.Combine(folder.Path, "cache"),
        });
        using ServiceProvider provider = Services(configuration, logs).BuildServiceProvider();

        DpoTrainer trainer = provider.GetRequiredService<DpoTrainer>();
        TrainingResult result = await trainer.TrainAsync();

        Assert.Same(trainer, provider.GetRequiredService<ITrainer>());
        Assert.Equal(2, result.GlobalStep);
        Assert.True(double.IsFinite(result.Metrics["loss"]));
        Assert.Equal(0.1, Assert.IsType<Alignment.Dpo.Losses.SigmoidLoss>(trainer.Loss).Beta);
        Assert.Null(trainer.Reference);
        Assert.Equal(200, trainer.TrainDataset!.Count);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(folder.Path, "cache"), "ref-logps-*.bin").Length);
        using (CausalLanguageModel saved = PretrainedModel.Load(result.OutputDirectory!))
        {
            TinyTraining.AssertBitIdentical(TinyTraining.Snapshot(saved), trainer.Policy!);
            Assert.True(File.Exists(Path.Combine(result.OutputDirectory!, "tokenizer.model")));
        }

        Assert.Contains(logs.Entries, e => e.EventId == 200 && e.Message.Contains("train data", StringComparison.Ordinal) && e.Message.Contains("200 pairs kept", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.EventId == 202 && e.Message.Contains("zephyr (recognised", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.EventId == 100); // the shared loop's "training started"
        Assert.True(File.Exists(Path.Combine(folder.Path, "out", "metrics.jsonl")));
    }

    [Fact]
    public async Task Skipped_rows_and_truncation_are_reported_through_the_logger()
    {
        using var folder = new TempDirectory();
        var logs = new CapturingLoggerProvider();
        IConfiguration configuration = Configuration(folder, new()
        {
            ["Zephyr:Dpo:TrainFile"] = TestPaths.Fixture("data", "bad", "missing-field-line3.jsonl"),
            ["Zephyr:Dpo:InvalidRows"] = "Skip",
            ["Zephyr:Dpo:MaxLength"] = "40",
            ["Zephyr:Dpo:MaxPromptLength"] = "24",
            ["Zephyr:Dpo:MaxSteps"] = "1",
        });
        using ServiceProvider provider = Services(configuration, logs).BuildServiceProvider();

        await provider.GetRequiredService<ITrainer>().TrainAsync();

        var tokenized = Assert.Single(logs.Entries, e => e.EventId == 200);
        Assert.Contains("1 invalid rows skipped", tokenized.Message, StringComparison.Ordinal);
        Assert.Matches("9 pairs kept \\([1-9] truncated\\)", tokenized.Message);
        Assert.Contains(logs.Entries, e => e.EventId == 201 && e.Level == LogLevel.Warning && e.Message.Contains("line 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_options_fail_on_resolution_with_every_problem_listed()
    {
        using var folder = new TempDirectory();
        IConfiguration configuration = Configuration(folder, new()
        {
            ["Zephyr:Dpo:Beta"] = "0",
            ["Zephyr:Dpo:LossType:0"] = "sigmoidd",
            ["Zephyr:Dpo:TrainFile"] = folder.File("missing.jsonl"),
        });
        using ServiceProvider provider = Services(configuration, new CapturingLoggerProvider()).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<DpoTrainer>());

        Assert.Equal(3, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.StartsWith("Beta must be a finite number > 0; got 0.", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("LossType 'sigmoidd' is not a known", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("missing.jsonl' does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_model_loader_the_error_says_how_to_register_one()
    {
        using var folder = new TempDirectory();
        var services = new ServiceCollection();
        services.AddZephyrAlignment().AddDpo(Configuration(folder, []).GetSection("Zephyr:Dpo"));
        using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ITrainer>());
        Assert.Contains("AddHuggingFaceModels()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cuda_reference_on_a_machine_without_cuda_fails_at_start_up_or_falls_back_when_allowed()
    {
        if (cuda.is_available())
        {
            return; // the failure is about machines without CUDA; CI runs on CPU
        }

        using var folder = new TempDirectory();
        IConfiguration strict = Configuration(folder, new() { ["Zephyr:Dpo:ReferenceDevice"] = "cuda" });
        using (ServiceProvider provider = Services(strict, new CapturingLoggerProvider()).BuildServiceProvider())
        {
            var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<DpoTrainer>());
            Assert.Contains("Device 'cuda' was requested but CUDA is not available", error.Message, StringComparison.Ordinal);
        }

        var logs = new CapturingLoggerProvider();
        IConfiguration lenient = Configuration(folder, new()
        {
            ["Zephyr:Dpo:ReferenceDevice"] = "cuda",
            ["Zephyr:Dpo:ReferenceDType"] = "bfloat16",
            ["Zephyr:Dpo:MaxSteps"] = "1",
            ["Zephyr:Device:AllowCpuFallback"] = "true",
        });
        using (ServiceProvider provider = Services(lenient, logs).BuildServiceProvider())
        {
            DpoTrainer trainer = provider.GetRequiredService<DpoTrainer>();
            await trainer.TrainAsync();
            Assert.Equal(ScalarType.BFloat16, trainer.Reference!.DType);
            Assert.Equal(DeviceType.CPU, Assert.IsType<ReferenceModel>(trainer.Reference).Device.type);
            Assert.Equal(ScalarType.Float32, trainer.Policy!.DType);
        }

        Assert.Contains(logs.Entries, e => e.EventId == 211 && e.Level == LogLevel.Warning && e.Message.Contains("Falling back to the CPU", StringComparison.Ordinal));
    }

    private static IServiceCollection Services(IConfiguration configuration, CapturingLoggerProvider logs)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        services.AddZephyrAlignment(configuration.GetSection("Zephyr:Device"))
            .AddHuggingFaceModels()
            .AddDpo(configuration.GetSection("Zephyr:Dpo"));
        return services;
    }

    private static IConfiguration Configuration(TempDirectory folder, Dictionary<string, string?> overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["Zephyr:Device:Device"] = "cpu",
            ["Zephyr:Dpo:ModelPath"] = TestPaths.Fixture("tiny-llama"),
            ["Zephyr:Dpo:TrainFile"] = TestPaths.Fixture("data", "prefs.jsonl"),
            ["Zephyr:Dpo:OutputDirectory"] = Path.Combine(folder.Path, "out"),
            ["Zephyr:Dpo:Beta"] = "0.1",
            ["Zephyr:Dpo:LearningRate"] = "1e-4",
            ["Zephyr:Dpo:MaxSteps"] = "2",
            ["Zephyr:Dpo:PerDeviceTrainBatchSize"] = "2",
            ["Zephyr:Dpo:PerDeviceEvalBatchSize"] = "16",
            ["Zephyr:Dpo:MaxLength"] = "128",
            ["Zephyr:Dpo:MaxPromptLength"] = "64",
            ["Zephyr:Dpo:LoggingSteps"] = "1",
            ["Zephyr:Dpo:SaveSteps"] = "0",
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
