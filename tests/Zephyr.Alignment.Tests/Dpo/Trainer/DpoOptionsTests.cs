using Microsoft.Extensions.Configuration;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

public sealed class DpoOptionsTests
{
    [Fact]
    public void Defaults_are_the_zephyr_7b_beta_dpo_recipe()
    {
        var options = new DpoOptions();

        Assert.Equal(0.01, options.Beta);
        Assert.Equal(5e-7, options.LearningRate);
        Assert.Equal("cosine", options.LrSchedulerType);
        Assert.Equal(0.1, options.WarmupRatio);
        Assert.Equal(1, options.NumTrainEpochs);
        Assert.Equal(0, options.WeightDecay);
        Assert.Equal(42, options.Seed);
        Assert.Equal(1024, options.MaxLength);
        Assert.Equal(512, options.MaxPromptLength);
        Assert.Equal(TruncationMode.KeepEnd, options.TruncationMode);
        Assert.Equal(["sigmoid"], options.EffectiveLossTypes);
        Assert.Equal(0, options.LabelSmoothing);
        Assert.False(options.PrecomputeRefLogProbs);
        Assert.Null(options.ReferenceDevice);
        Assert.Null(options.ReferenceDType);
        var loss = Assert.IsType<SigmoidLoss>(DpoTrainer.CreateLoss(options));
        Assert.Equal(0.01, loss.Beta);
        var values = new List<string>();
        DpoOptionsValidator.AddFailures(options, values);
        Assert.Empty(values);
    }

    [Fact]
    public void Every_invalid_value_is_reported_at_once_with_its_name_and_value()
    {
        var options = new DpoOptions
        {
            Beta = -0.1,
            LabelSmoothing = 0.5,
            LossType = ["sigmoid", "bogus"],
            LossWeights = [1.0],
            MaxLength = 256,
            MaxPromptLength = 256,
            ReferenceDevice = "gpu",
            ReferenceDType = "int8",
            PrecomputeRefBatchSize = 0,
            ChatTemplate = "nope",
            LearningRate = 0,
        };

        var result = new DpoOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        string[] expected =
        [
            "LearningRate must be a finite number > 0; got 0.",
            "Beta must be a finite number > 0; got -0.1.",
            "LabelSmoothing must be in [0, 0.5); got 0.5.",
            "LossType 'bogus' is not a known DPO loss type",
            "LossWeights has 1 value(s) but LossType has 2 (sigmoid, bogus).",
            "MaxLength must be greater than MaxPromptLength (256), leaving room for a completion; got 256.",
            "ReferenceDevice 'gpu' is not valid",
            "ReferenceDType 'int8' is not valid",
            "PrecomputeRefBatchSize must be >= 1 or null (PerDeviceEvalBatchSize); got 0.",
            "ChatTemplate 'nope' is not a registered template",
            "ModelPath must name the policy's checkpoint folder",
            "TrainFile must name a preference file",
        ];
        Assert.Equal(expected.Length, result.Failures!.Count());
        foreach (string message in expected)
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Missing_files_and_evaluation_without_data_are_reported()
    {
        using var folder = new TempDirectory();
        var options = new DpoOptions
        {
            ModelPath = folder.File("no-model"),
            TrainFile = folder.File("train.jsonl"),
            EvalFile = folder.File("eval.jsonl"),
            ReferenceModelPath = folder.File("no-ref"),
        };
        var failures = new List<string>();

        DpoOptionsValidator.AddSourceFailures(options, failures);
        options.EvalFile = null;
        options.EvalSteps = 5;
        DpoOptionsValidator.AddSourceFailures(options, failures);

        Assert.Contains(failures, f => f.Contains("no-model' is not an existing folder", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("no-ref' is not an existing folder", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("train.jsonl' does not exist", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("eval.jsonl' does not exist", StringComparison.Ordinal));
        Assert.Contains("EvalSteps is 5 but no EvalFile is set.", failures);
    }

    [Fact]
    public void Lists_bind_from_configuration_without_keeping_a_default_entry()
    {
        IConfiguration section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LossType:0"] = "sigmoid",
            ["LossType:1"] = "sft",
            ["LossWeights:0"] = "1",
            ["LossWeights:1"] = "0.5",
            ["Beta"] = "0.1",
            ["TruncationMode"] = "KeepStart",
            ["ReferenceDType"] = "bf16",
            ["PrecomputeRefLogProbs"] = "true",
        }).Build();
        var options = new DpoOptions();

        section.Bind(options);

        Assert.Equal(["sigmoid", "sft"], options.EffectiveLossTypes);
        Assert.Equal([1.0, 0.5], options.LossWeights!);
        Assert.Equal(TruncationMode.KeepStart, options.TruncationMode);
        Assert.True(options.PrecomputeRefLogProbs);
        var rpo = Assert.IsType<CombinedLoss>(DpoTrainer.CreateLoss(options));
        Assert.Equal("sigmoid+sft", rpo.Name);
        Assert.Equal([1.0, 0.5], rpo.Terms.Select(t => t.Weight));
    }

    [Fact]
    public void Legacy_losses_accept_label_smoothing_on_sigmoid_and_refuse_types_they_lacked()
    {
        var options = new DpoOptions { LegacyLosses = true, LabelSmoothing = 0.1, Beta = 0.1 };
        Assert.IsType<Alignment.Dpo.Losses.Legacy.LegacySigmoidLoss>(DpoTrainer.CreateLoss(options));

        options.LossType = ["sigmoid_norm"];
        var failures = new List<string>();
        DpoOptionsValidator.AddFailures(options, failures);

        Assert.Equal(["LossType 'sigmoid_norm' is not a known legacy DPO loss type; known: " + string.Join(", ", DpoLosses.LegacyNames) + "."], failures);
    }
}
