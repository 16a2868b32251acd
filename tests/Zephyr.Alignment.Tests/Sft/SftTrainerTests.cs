using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Tests.Data;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Tests.Sft;

[Collection(GlobalRandomStateCollection.Name)]
public sealed class SftTrainerTests
{
    [Fact]
    public async Task A_run_cancelled_and_resumed_through_the_trainer_ends_bit_identical_to_an_uninterrupted_run()
    {
        using var temp = new TempDirectory();
        string train = SftTestKit.WriteConversations(temp.File("train.jsonl"), CapitalLetterTask.Training(twoTurn: 10).Take(40));
        SftOptions Options(string output, string? resume = null) => new()
        {
            TrainFile = train,
            OutputDirectory = output,
            MaxLength = 128,
            LearningRate = 1e-3,
            NumTrainEpochs = 2,
            PerDeviceTrainBatchSize = 2,
            GradientAccumulationSteps = 2,
            LoggingSteps = 1,
            SaveSteps = 2,
            SaveTotalLimit = 0,
            ResumeFromCheckpoint = resume,
        };

        // Dropout on, so the resumed run must also reproduce the random stream.
        using CausalLanguageModel uninterrupted = SftTestKit.TinyModel(seed: 4, attentionDropout: 0.1);
        using (var trainer = new SftTrainer(uninterrupted, SftTestKit.Tokenizer, Options(temp.File("a"))))
        {
            await trainer.TrainAsync();
        }

        using var cancellation = new CancellationTokenSource();
        var stopAtThree = new RecordingCallback { AfterStep = progress => { if (progress.GlobalStep == 3) { cancellation.Cancel(); } } };
        using CausalLanguageModel interrupted = SftTestKit.TinyModel(seed: 4, attentionDropout: 0.1);
        TrainingResult partial;
        using (var trainer = new SftTrainer(interrupted, SftTestKit.Tokenizer, Options(temp.File("b")), [stopAtThree]))
        {
            partial = await trainer.TrainAsync(cancellation.Token);
        }

        Assert.Equal(3, partial.GlobalStep);
        Assert.False(File.Exists(Path.Combine(temp.File("b"), PretrainedModel.WeightsFileName)), "a cancelled run writes no final model");

        using CausalLanguageModel resumed = SftTestKit.TinyModel(seed: 99, attentionDropout: 0.1);
        TrainingResult result;
        using (var trainer = new SftTrainer(resumed, SftTestKit.Tokenizer, Options(temp.File("b"), resume: "latest")))
        {
            result = await trainer.TrainAsync();
        }

        TinyTraining.AssertBitIdentical(SftTestKit.Snapshot(uninterrupted), resumed);
        Assert.Equal(
            File.ReadAllText(Path.Combine(temp.File("a"), TrainingLoop<SftBatch>.MetricsFileName)),
            File.ReadAllText(Path.Combine(temp.File("b"), TrainingLoop<SftBatch>.MetricsFileName)));
        Assert.Equal(Path.GetFullPath(temp.File("b")), result.OutputDirectory);
    }

    [Fact]
    public async Task AddSft_resolves_a_trainer_from_configuration_that_loads_the_checkpoint_trains_and_saves_a_loadable_model()
    {
        using var temp = new TempDirectory();
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Zephyr:Device:Device"] = "cpu",
            ["Sft:ModelPath"] = TestPaths.Fixture("tiny-llama"),
            ["Sft:TrainFile"] = DataFixtures.PathOf("sft.parquet"),
            ["Sft:EvalFile"] = DataFixtures.PathOf("sft.jsonl"),
            ["Sft:OutputDirectory"] = temp.File("out"),
            ["Sft:MaxLength"] = "256",
            ["Sft:MaxSteps"] = "2",
            ["Sft:EvalSteps"] = "2",
            ["Sft:PerDeviceTrainBatchSize"] = "2",
            ["Sft:PerDeviceEvalBatchSize"] = "16",
            ["Sft:LearningRate"] = "1e-3",
            ["Sft:LoggingSteps"] = "1",
        }).Build();
        var callback = new RecordingCallback();
        var services = new ServiceCollection().AddLogging().AddSingleton<ITrainingCallback>(callback);
        services.AddZephyrAlignment(configuration.GetSection("Zephyr:Device")).AddHuggingFaceModels().AddSft(configuration.GetSection("Sft"));
        await using ServiceProvider provider = services.BuildServiceProvider();

        SftTrainer trainer = provider.GetRequiredService<SftTrainer>();
        TrainingResult result = await trainer.TrainAsync();

        Assert.Equal(2, result.GlobalStep);
        Assert.Equal("alignment-handbook-zephyr", trainer.DataReport!.ChatTemplate);
        Assert.Equal(200, trainer.DataReport.Train.Tokenization.Kept);
        Assert.True(trainer.DataReport.Train.Tokenization.Truncated > 0, "the fixture has conversations longer than 256 tokens");
        IReadOnlyDictionary<string, double> evaluation = callback.Logs.Single(l => l.Metrics.ContainsKey("eval_loss")).Metrics;
        Assert.Equal(Math.Exp(evaluation["eval_loss"]), evaluation["eval_perplexity"], 12);
        Assert.Contains("eval_mean_token_accuracy", evaluation.Keys);
        string evalLine = File.ReadAllLines(Path.Combine(result.OutputDirectory!, "metrics.jsonl")).Single(l => l.Contains("\"eval_loss\"", StringComparison.Ordinal));
        Assert.Contains("\"eval_perplexity\"", evalLine, StringComparison.Ordinal);

        // The output folder is a Hugging Face checkpoint with the tokenizer and chat template, as zephyr generate and DPO load it.
        using CausalLanguageModel saved = PretrainedModel.Load(result.OutputDirectory!);
        Assert.True(File.Exists(Path.Combine(result.OutputDirectory!, "tokenizer_config.json")));
        Assert.True(File.Exists(Path.Combine(result.OutputDirectory!, "tokenizer.model")));
        Assert.Equal(trainer.Policy!.NamedTrainableParameters().Select(p => SftTestKit.Bytes(p.Parameter)), saved.NamedTrainableParameters().Select(p => SftTestKit.Bytes(p.Parameter)));
    }

    [Fact]
    public async Task A_malformed_row_stops_preparation_with_the_file_and_line_before_the_model_is_loaded()
    {
        using var temp = new TempDirectory();
        var loader = new CountingLoader();
        var options = new SftOptions { ModelPath = TestPaths.Fixture("tiny-llama"), TrainFile = DataFixtures.BadPathOf("malformed-line7.jsonl"), OutputDirectory = temp.Path };
        using var trainer = new SftTrainer(loader, Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Options.Options.Create(new Zephyr.Alignment.Runtime.TorchDeviceOptions()));

        var error = await Assert.ThrowsAsync<DatasetFormatException>(() => trainer.TrainAsync());

        Assert.Contains("malformed-line7.jsonl", error.Message);
        Assert.Contains("line 7", error.Message);
        Assert.Equal(0, loader.Loads);
    }

    [Fact]
    public async Task Invalid_rows_are_errors_by_default_and_skipped_counted_and_logged_on_request()
    {
        using var temp = new TempDirectory();
        string valid = """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."}]}""";
        string file = SftTestKit.WriteLines(
            temp.File("mixed.jsonl"),
            valid,
            """{"messages":[{"role":"user","content":"Hi"}]}""",
            """{"messages":[{"role":"assistant","content":"Hello."},{"role":"user","content":"Hi"}]}""",
            """{"messages":[{"role":"narrator","content":"Once"},{"role":"assistant","content":"Hello."}]}""",
            """{"messages":[{"role":"user","content":"Hi"},""",
            valid);

        using (CausalLanguageModel model = SftTestKit.TinyModel())
        using (var strict = new SftTrainer(model, SftTestKit.Tokenizer, new SftOptions { TrainFile = file, OutputDirectory = temp.File("strict") }))
        {
            var error = await Assert.ThrowsAsync<DatasetFormatException>(() => strict.PrepareAsync());
            Assert.Contains("mixed.jsonl", error.Message);
            Assert.Contains("line 2", error.Message);
            Assert.Contains("no assistant turn", error.Message);
        }

        var logger = new RecordingLogger<SftTrainer>();
        using CausalLanguageModel tiny = SftTestKit.TinyModel();
        using var lenient = new SftTrainer(tiny, SftTestKit.Tokenizer, new SftOptions { TrainFile = file, OutputDirectory = temp.File("skip"), InvalidRows = InvalidRowHandling.Skip }, logger: logger);
        SftDataReport report = await lenient.PrepareAsync();

        Assert.Equal(2, report.Train.Tokenization.Kept);
        Assert.Equal(4, report.Train.InvalidRows.Count);
        string reasons = string.Join("\n", report.Train.InvalidRows.FirstReasons);
        Assert.Contains("line 2", reasons);
        Assert.Contains("no assistant turn", reasons);
        Assert.Contains("line 3", reasons);
        Assert.Contains("out of order", reasons);
        Assert.Contains("line 4", reasons);
        Assert.Contains("narrator", reasons);
        Assert.Contains("line 5", reasons);
        var warning = logger.Single(202);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(4, warning.Fields["Count"]);
        Assert.Equal(4, logger.Single(201).Fields["Skipped"]);
    }

    [Theory]
    [InlineData(OverlongExampleHandling.Truncate)]
    [InlineData(OverlongExampleHandling.Drop)]
    public async Task Examples_longer_than_max_length_are_truncated_or_dropped_and_counted(OverlongExampleHandling handling)
    {
        using var temp = new TempDirectory();
        string file = SftTestKit.WriteConversations(temp.File("train.jsonl"),
        [
            [SftTestKit.User("Hi"), SftTestKit.Assistant("Hello.")],
            [SftTestKit.User("Tell me a story"), SftTestKit.Assistant(string.Join(' ', Enumerable.Repeat("Once upon a time there was a story.", 20)))],
        ]);
        var logger = new RecordingLogger<SftTrainer>();
        using CausalLanguageModel model = SftTestKit.TinyModel();
        var options = new SftOptions { TrainFile = file, OutputDirectory = temp.Path, MaxLength = 64, OverlongExamples = handling, Packing = false };
        using var trainer = new SftTrainer(model, SftTestKit.Tokenizer, options, logger: logger);

        SftDataReport report = await trainer.PrepareAsync();

        TokenizationReport tokenization = report.Train.Tokenization;
        if (handling == OverlongExampleHandling.Truncate)
        {
            Assert.Equal((2, 1, 0), (tokenization.Kept, tokenization.Truncated, tokenization.Dropped.Count));
            Assert.Equal(64, trainer.TrainDataset!.Examples.Max(e => e.InputIds.Length));
        }
        else
        {
            Assert.Equal((1, 0, 1), (tokenization.Kept, tokenization.Truncated, tokenization.Dropped.Count));
            Assert.Contains("exceed MaxLength 64", tokenization.Dropped.FirstReasons[0]);
            Assert.Contains("train.jsonl", tokenization.Dropped.FirstReasons[0]);
            Assert.Equal(1, logger.Single(203).Fields["Count"]);
        }

        Assert.Equal(tokenization.Truncated, logger.Single(201).Fields["Truncated"]);
        Assert.False(report.Train.Packed);
        Assert.NotNull(logger.Single(205).Fields["UnpackedPadding"]);
    }

    private sealed class CountingLoader : IPolicyModelLoader
    {
        public int Loads { get; private set; }

        public IPolicyModel Load(string path, Zephyr.Alignment.Runtime.TorchDeviceOptions device)
        {
            Loads++;
            return PretrainedModel.Load(path);
        }
    }
}
