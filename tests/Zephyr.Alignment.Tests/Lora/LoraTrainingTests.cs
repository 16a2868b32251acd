using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Tests.Dpo.Trainer;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Sft;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;
using GlobalRandomState = Zephyr.Alignment.Tests.Training.GlobalRandomStateCollection;
using Tiny = Zephyr.Alignment.Tests.Training.TinyTraining;

namespace Zephyr.Alignment.Tests.Lora;

[Collection(GlobalRandomState.Name)]
public sealed class LoraTrainingTests
{
    [Fact]
    public async Task Dpo_with_UsePeft_trains_only_the_adapters_against_the_adapter_off_reference_and_writes_a_PEFT_folder()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policyBase = SyntheticPreferences.Model();
        Dictionary<string, byte[]> baseBefore = BaseBytes(policyBase);
        DpoOptions options = LoraDpoOptions(folder.File("out"));
        options.MaxSteps = 3;
        options.SaveMergedModel = true;
        var recorder = new RecordingCallback();
        using var trainer = new DpoTrainer(policyBase, reference: null, SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(12, seed: 1)), options, callbacks: [recorder]);
        var policy = Assert.IsType<LoraModel>(trainer.Policy);
        Assert.IsType<AdapterDisabledReference>(trainer.Reference);
        Dictionary<string, byte[]> adaptersBefore = policy.NamedTrainableParameters().ToDictionary(p => p.Name, p => Tiny.Bytes(p.Parameter));

        TrainingResult result = await trainer.TrainAsync();

        // Step 1 is measured before any update: fresh adapters add zero, so the policy is its own reference.
        Assert.Equal(0.0, recorder.Logs[0].Metrics["rewards/chosen"]);
        Assert.Equal(0.0, recorder.Logs[0].Metrics["rewards/rejected"]);
        Assert.All(recorder.TrainLosses(), loss => Assert.True(double.IsFinite(loss)));
        AssertBaseUnchanged(policyBase, baseBefore);
        foreach (var (name, parameter) in policy.NamedTrainableParameters())
        {
            Assert.False(adaptersBefore[name].AsSpan().SequenceEqual(Tiny.Bytes(parameter)), $"{name} did not change");
        }

        Assert.True(File.Exists(Path.Combine(result.OutputDirectory!, LoraModel.AdapterConfigFileName)));
        Assert.True(File.Exists(Path.Combine(result.OutputDirectory!, LoraModel.AdapterWeightsFileName)));
        Assert.False(File.Exists(Path.Combine(result.OutputDirectory!, PretrainedModel.WeightsFileName)));
        using Tensor adapted = LoraModelTests.Logits(policy);
        using (CausalLanguageModel fresh = SyntheticPreferences.Model())
        using (LoraModel reloaded = LoraModel.Load(fresh, result.OutputDirectory!))
        {
            using Tensor logits = LoraModelTests.Logits(reloaded);
            Assert.True(LoraModelTests.Identical(logits, adapted));
        }

        using CausalLanguageModel merged = PretrainedModel.Load(Path.Combine(result.OutputDirectory!, LoraTraining.MergedFolderName));
        using Tensor mergedLogits = LoraModelTests.Logits(merged);
        Assert.True(mergedLogits.allclose(adapted, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public async Task Over_a_bfloat16_base_the_float32_adapters_train_and_the_base_stays_bit_identical()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel policyBase = SyntheticPreferences.Model();
        policyBase.MoveTo(CPU, ScalarType.BFloat16);
        Dictionary<string, byte[]> baseBefore = BaseBytes(policyBase);
        DpoOptions options = LoraDpoOptions(folder.File("out"));
        options.MaxSteps = 2;
        var recorder = new RecordingCallback();
        using var trainer = new DpoTrainer(policyBase, null, SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(8, seed: 7)), options, callbacks: [recorder]);
        var policy = Assert.IsType<LoraModel>(trainer.Policy);
        Dictionary<string, byte[]> adaptersBefore = policy.NamedTrainableParameters().ToDictionary(p => p.Name, p => Tiny.Bytes(p.Parameter));

        await trainer.TrainAsync();

        AssertBaseUnchanged(policyBase, baseBefore);
        Assert.All(recorder.TrainLosses(), loss => Assert.True(double.IsFinite(loss)));
        Assert.All(policy.NamedTrainableParameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.Parameter.dtype);
            Assert.False(adaptersBefore[p.Name].AsSpan().SequenceEqual(Tiny.Bytes(p.Parameter)), p.Name);
        });
    }

    [Fact]
    public async Task Precomputed_adapter_off_log_probs_give_the_live_adapter_off_references_losses()
    {
        using var folder = new TempDirectory();
        using var cache = new TempDirectory();
        var pairs = SyntheticPreferences.Pairs(8, seed: 6);
        var losses = new List<List<double>>();
        foreach (bool precompute in new[] { false, true })
        {
            using CausalLanguageModel policyBase = SyntheticPreferences.Model();
            DpoOptions options = LoraDpoOptions(folder.File($"run-{precompute}"));
            options.MaxSteps = 3;
            options.PerDeviceTrainBatchSize = 1;
            options.PrecomputeRefBatchSize = 1;
            options.PrecomputeRefLogProbs = precompute;
            options.RefLogProbsCacheDirectory = precompute ? cache.Path : null;
            var recorder = new RecordingCallback();
            using var trainer = new DpoTrainer(policyBase, null, SyntheticPreferences.Dataset(pairs), options, callbacks: [recorder]);
            await trainer.TrainAsync();
            Assert.Equal(precompute, trainer.Reference is null);
            losses.Add(recorder.TrainLosses());
        }

        Assert.Equal(losses[0], losses[1]);
        Assert.Single(Directory.GetFiles(cache.Path, "ref-logps-*.bin"));
    }

    [Fact]
    public async Task A_LoRA_DPO_run_checkpoints_the_adapters_and_resumes_bit_exactly()
    {
        using var folder = new TempDirectory();
        var pairs = SyntheticPreferences.Pairs(16, seed: 3);
        DpoOptions Options(string output, string? resume = null)
        {
            DpoOptions options = LoraDpoOptions(output);
            options.MaxSteps = 4;
            options.SaveSteps = 2;
            options.LoraDropout = 0.1;   // the resumed run must reproduce the dropout stream too
            options.ResumeFromCheckpoint = resume;
            return options;
        }

        using CausalLanguageModel straightBase = SyntheticPreferences.Model();
        Dictionary<string, byte[]> straight;
        using (var trainer = new DpoTrainer(straightBase, null, SyntheticPreferences.Dataset(pairs), Options(folder.File("a"))))
        {
            await trainer.TrainAsync();
            straight = trainer.Policy!.NamedTrainableParameters().ToDictionary(p => p.Name, p => Tiny.Bytes(p.Parameter));
        }

        using var cancellation = new CancellationTokenSource();
        var stopAtTwo = new RecordingCallback(progress => { if (progress.GlobalStep == 2) { cancellation.Cancel(); } });
        using (CausalLanguageModel interruptedBase = SyntheticPreferences.Model())
        using (var trainer = new DpoTrainer(interruptedBase, null, SyntheticPreferences.Dataset(pairs), Options(folder.File("b")), callbacks: [stopAtTwo]))
        {
            Assert.Equal(2, (await trainer.TrainAsync(cancellation.Token)).GlobalStep);
        }

        string checkpoint = folder.File("b/checkpoint-2");
        Assert.True(File.Exists(Path.Combine(checkpoint, LoraModel.AdapterWeightsFileName)));
        Assert.False(File.Exists(Path.Combine(checkpoint, PretrainedModel.WeightsFileName)), "a LoRA checkpoint holds the adapters, not the base");
        Assert.False(File.Exists(Path.Combine(checkpoint, "trainable_parameters.bin")), "the adapter folder already holds the trainable weights");

        using CausalLanguageModel resumedBase = SyntheticPreferences.Model();
        using (var trainer = new DpoTrainer(resumedBase, null, SyntheticPreferences.Dataset(pairs), Options(folder.File("b"), resume: "latest")))
        {
            Assert.Equal(4, (await trainer.TrainAsync()).GlobalStep);
            foreach (var (name, parameter) in trainer.Policy!.NamedTrainableParameters())
            {
                Assert.True(straight[name].AsSpan().SequenceEqual(Tiny.Bytes(parameter)), $"{name} differs after resume");
            }
        }
    }

    [Fact]
    public async Task Sft_with_UsePeft_trains_only_the_adapters_and_writes_the_adapter_folder_with_the_tokenizer()
    {
        using var temp = new TempDirectory();
        string train = SftTestKit.WriteConversations(temp.File("train.jsonl"), CapitalLetterTask.Training(twoTurn: 4).Take(12));
        using CausalLanguageModel model = SftTestKit.TinyModel(seed: 2);
        Dictionary<string, byte[]> baseBefore = BaseBytes(model);
        var options = new SftOptions
        {
            TrainFile = train,
            OutputDirectory = temp.File("out"),
            MaxLength = 128,
            LearningRate = 1e-2,
            MaxSteps = 3,
            PerDeviceTrainBatchSize = 2,
            LoggingSteps = 1,
            SaveSteps = 0,
            UsePeft = true,
            LoraR = 4,
            LoraTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"],
        };
        using var trainer = new SftTrainer(model, SftTestKit.Tokenizer, options);
        var policy = Assert.IsType<LoraModel>(trainer.Policy);
        Dictionary<string, byte[]> adaptersBefore = policy.NamedTrainableParameters().ToDictionary(p => p.Name, p => Tiny.Bytes(p.Parameter));

        TrainingResult result = await trainer.TrainAsync();

        Assert.Equal(3, result.GlobalStep);
        AssertBaseUnchanged(model, baseBefore);
        Assert.Equal(2 * 4 * model.Config.NumHiddenLayers, adaptersBefore.Count);
        Assert.All(policy.NamedTrainableParameters(), p => Assert.False(adaptersBefore[p.Name].AsSpan().SequenceEqual(Tiny.Bytes(p.Parameter)), p.Name));
        Assert.True(File.Exists(Path.Combine(result.OutputDirectory!, LoraModel.AdapterWeightsFileName)));
        Assert.False(Directory.Exists(Path.Combine(result.OutputDirectory!, LoraTraining.MergedFolderName)), "merging is opt-in");
    }

    [Fact]
    public async Task Continuing_from_an_adapter_folder_loads_it_trainable_and_warns_about_differing_options()
    {
        using var folder = new TempDirectory();
        using (CausalLanguageModel model = SyntheticPreferences.Model())
        using (LoraModel first = LoraModel.Create(model, new LoraConfig { R = 2, LoraAlpha = 4, TargetModules = ["o_proj"] }))
        {
            LoraModelTests.Perturb(first);
            first.Save(folder.File("adapter"));
        }

        using CausalLanguageModel policyBase = SyntheticPreferences.Model();
        DpoOptions options = LoraDpoOptions(folder.File("out"));
        options.MaxSteps = 1;
        options.LoraAdapterPath = folder.File("adapter");
        var logs = new CapturingLoggerProvider();
        using var trainer = new DpoTrainer(policyBase, null, SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(4, seed: 4)), options, logger: logs.CreateLogger("dpo"));

        var policy = Assert.IsType<LoraModel>(trainer.Policy);
        Assert.Equal(2, policy.LoraConfig.R);
        Assert.Equal(4, policy.NamedTrainableParameters().Count());
        Assert.Contains(logs.Entries, e => e.EventId == 162 && e.Level == LogLevel.Warning && e.Message.Contains("LoraR 4 -> r 2", StringComparison.Ordinal));
        await trainer.TrainAsync();
    }

    [Fact]
    public void A_separate_reference_with_UsePeft_and_a_plain_policy_without_reference_are_refused()
    {
        using var folder = new TempDirectory();
        DpoDataset data = SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(4, seed: 5));
        using CausalLanguageModel policy = SyntheticPreferences.Model();
        using CausalLanguageModel reference = SyntheticPreferences.Model();
        var both = Assert.Throws<ArgumentException>(() => new DpoTrainer(policy, reference, data, LoraDpoOptions(folder.Path)));
        Assert.Contains("reference: null", both.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new DpoTrainer(policy, null, data, SyntheticPreferences.Options(folder.Path)));
        Assert.NotEmpty(policy.NamedTrainableParameters());
    }

    [Fact]
    public void The_LoRA_options_are_validated_with_their_names()
    {
        var options = new DpoOptions
        {
            UsePeft = true,
            LoraR = 0,
            LoraAlpha = -1,
            LoraDropout = 1,
            LoraTargetModules = [LoraConfig.AllLinear, "q_proj"],
            ReferenceModelPath = "ref",
            ReferenceDType = "bfloat16",
        };
        var failures = new List<string>();
        DpoOptionsValidator.AddFailures(options, failures);
        foreach (string name in new[] { "LoraR", "LoraAlpha", "LoraDropout", "LoraTargetModules", "ReferenceModelPath", "ReferenceDType" })
        {
            Assert.Contains(failures, f => f.StartsWith(name, StringComparison.Ordinal));
        }

        var sft = new SftOptions { LoraAdapterPath = "adapter", SaveMergedModel = true, LoraTargetModules = [] };
        failures.Clear();
        TrainingOptionsValidator.AddFailures(sft, failures);
        Assert.Contains(failures, f => f.StartsWith("LoraAdapterPath", StringComparison.Ordinal) && f.Contains("UsePeft", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SaveMergedModel", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("LoraTargetModules", StringComparison.Ordinal));

        failures.Clear();
        TrainingOptionsValidator.AddFailures(new SftOptions { UsePeft = true }, failures);
        Assert.Empty(failures);
    }

    private static DpoOptions LoraDpoOptions(string output)
    {
        DpoOptions options = SyntheticPreferences.Options(output);
        options.LearningRate = 1e-2;
        options.UsePeft = true;
        options.LoraR = 4;
        options.LoraAlpha = 8;
        options.LoraDropout = 0;
        options.LoraTargetModules = [LoraConfig.AllLinear];
        return options;
    }

    private static Dictionary<string, byte[]> BaseBytes(CausalLanguageModel model)
        => model.named_parameters().ToDictionary(p => p.name, p => Tiny.Bytes(p.parameter));

    private static void AssertBaseUnchanged(CausalLanguageModel model, Dictionary<string, byte[]> before)
    {
        foreach (var (name, parameter) in model.named_parameters())
        {
            Assert.True(before[name].AsSpan().SequenceEqual(Tiny.Bytes(parameter)), $"base weight {name} changed");
            Assert.Null(parameter.grad);
        }
    }
}
