using System.Diagnostics;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using Zephyr.Alignment.Training;
using Xunit.Abstractions;

namespace Zephyr.Alignment.Tests.Sft;

/// <summary>
/// The proof: a tiny random model fine-tuned with <see cref="SftTrainer"/> on CPU learns a dialogue rule well
/// enough to reach held-out token accuracy ≥ 0.95 and to answer new prompts of the set correctly by greedy decoding.
/// </summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class SftTrainerProofTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_tiny_model_learns_the_dialogue_rule_and_answers_held_out_prompts_greedily()
    {
        using var temp = new TempDirectory();
        string train = SftTestKit.WriteConversations(temp.File("train.jsonl"), CapitalLetterTask.Training());
        string eval = SftTestKit.WriteConversations(temp.File("eval.jsonl"), CapitalLetterTask.HeldOut());
        using CausalLanguageModel model = SftTestKit.TinyModel(seed: 1, hidden: 128);
        Dictionary<string, byte[]> initial = SftTestKit.Snapshot(model);
        var options = new SftOptions
        {
            TrainFile = train,
            EvalFile = eval,
            OutputDirectory = temp.File("out"),
            MaxLength = 128,
            LearningRate = 3e-3,
            NumTrainEpochs = 20,
            PerDeviceTrainBatchSize = 4,
            PerDeviceEvalBatchSize = 8,
            LoggingSteps = 20,
            SaveSteps = 0,
        };
        var logger = new RecordingLogger<SftTrainer>();
        var callback = new RecordingCallback();
        using var trainer = new SftTrainer(model, SftTestKit.Tokenizer, options, [callback], logger);

        var clock = Stopwatch.StartNew();
        TrainingResult result = await trainer.TrainAsync();
        IReadOnlyDictionary<string, double> metrics = await trainer.EvaluateAsync();
        clock.Stop();

        SftDataReport report = trainer.DataReport!;
        output.WriteLine($"train: {report.Train.Padding}; steps {result.GlobalStep}; {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(string.Join(", ", metrics.Select(m => $"{m.Key} {m.Value:G4}")));
        output.WriteLine(string.Join(", ", result.Metrics.Select(m => $"{m.Key} {m.Value:G4}")));

        Assert.True(metrics[MetricNames.Eval(MetricNames.MeanTokenAccuracy)] >= 0.95, $"eval_mean_token_accuracy {metrics[MetricNames.Eval(MetricNames.MeanTokenAccuracy)]}");
        Assert.Equal(Math.Exp(metrics[MetricNames.Eval(MetricNames.Loss)]), metrics[MetricNames.Eval(SftMetricNames.Perplexity)], 12);
        Assert.True(report.Train.Packed);
        Assert.True(report.Train.Padding.PaddingFractionSaved > 0.2, $"packing saved {report.Train.Padding.PaddingFractionSaved:P1}");
        Assert.Equal(220, report.Train.Tokenization.Kept);
        Assert.Equal("alignment-handbook-zephyr", report.ChatTemplate);

        // Logged: the loop's loss, grad_norm, learning_rate and epoch, and the objective's accuracy and token count.
        IReadOnlyDictionary<string, double> last = callback.Logs[^1].Metrics;
        foreach (string key in new[] { MetricNames.Loss, MetricNames.GradNorm, MetricNames.LearningRate, MetricNames.Epoch, MetricNames.MeanTokenAccuracy, MetricNames.NumTokens })
        {
            Assert.True(last.ContainsKey(key), $"{key} was not logged");
        }

        Assert.Equal(report.Train.Padding.Tokens * options.NumTrainEpochs, last[MetricNames.NumTokens]);
        Assert.Contains(logger.Entries, e => e.EventId == 204);

        // Every parameter changed.
        foreach (var (name, parameter) in model.NamedTrainableParameters())
        {
            Assert.False(initial[name].AsSpan().SequenceEqual(SftTestKit.Bytes(parameter)), $"{name} did not change");
        }

        // Greedy answers to the held-out prompts: sentences the model never saw, answered by the rule.
        IChatTemplate template = ChatTemplateRecognizer.FromTokenizer(SftTestKit.Tokenizer);
        var generator = new TokenGenerator(model, SftTestKit.Tokenizer);
        var generation = new GenerationOptions { MaxNewTokens = 12, EosTokenIds = [SftTestKit.Tokenizer.EosToken!.Id] };
        int right = 0;
        foreach (IReadOnlyList<ConversationMessage> conversation in CapitalLetterTask.HeldOut())
        {
            TokenizedChat prompt = SftTestKit.Tokenizer.EncodeChat(template, [conversation[0]], addGenerationPrompt: true);
            GenerationResult answer = generator.Generate(prompt.InputIds, generation);
            string text = SftTestKit.Tokenizer.Decode(answer.TokenIds, skipSpecialTokens: true).Trim();
            output.WriteLine($"{conversation[0].Content} → {text}");
            Assert.Equal(GenerationStopReason.EndOfSequence, answer.StopReason);
            right += text == conversation[1].Content ? 1 : 0;
        }

        output.WriteLine($"greedy: {right}/{CapitalLetterTask.HeldOut().Count} held-out prompts answered correctly");
        Assert.Equal(CapitalLetterTask.HeldOut().Count, right);

        // The final model is a Hugging Face folder in the output directory, next to the checkpoint and metrics.
        Assert.Equal(Path.GetFullPath(options.OutputDirectory), result.OutputDirectory);
        using CausalLanguageModel reloaded = PretrainedModel.Load(result.OutputDirectory!);
        Assert.Equal(model.NamedTrainableParameters().Select(p => p.Name), reloaded.NamedTrainableParameters().Select(p => p.Name));
        Assert.True(File.Exists(Path.Combine(options.OutputDirectory, TrainingLoop<SftBatch>.MetricsFileName)));
        Assert.Single(CheckpointManager.List(options.OutputDirectory));
    }
}
