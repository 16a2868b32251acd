using System.Diagnostics;
using Xunit.Abstractions;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Scoring;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

/// <summary>
/// Section 5's proof: a tiny random Llama learns a synthetic preference with DPO on the CPU in seconds. The chosen answer
/// repeats the prompt's last token, the rejected one says another token; nothing else tells the model about the rule.
/// </summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class DpoProofTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_tiny_random_model_learns_a_synthetic_preference_and_its_greedy_generations_follow_it()
    {
        var stopwatch = Stopwatch.StartNew();
        using var folder = new TempDirectory();
        List<TokenizedPreference> train = SyntheticPreferences.Pairs(256, seed: 100);
        List<TokenizedPreference> heldOut = SyntheticPreferences.Pairs(128, seed: 200);
        using CausalLanguageModel policy = SyntheticPreferences.Model(seed: 7);
        long parameters = policy.NamedTrainableParameters().Sum(p => p.Parameter.numel());
        DpoOptions options = SyntheticPreferences.Options(folder.Path);

        // As TRL's own trainer tests do: a learning rate and β far above the 7B recipe's, so a tiny model moves in a few steps.
        options.LearningRate = 2e-3;
        options.Beta = 0.1;
        options.PerDeviceTrainBatchSize = 16;
        options.PerDeviceEvalBatchSize = 64;
        options.MaxSteps = 48;
        options.LrSchedulerType = "cosine";
        options.WarmupRatio = 0.1;
        options.LoggingSteps = 8;
        options.EvalSteps = 16;
        var recorder = new RecordingCallback();
        using var trainer = new DpoTrainer(
            policy, SyntheticPreferences.Model(seed: 7), SyntheticPreferences.Dataset(train), options, SyntheticPreferences.Dataset(heldOut),
            callbacks: [recorder]);

        IReadOnlyDictionary<string, double> before = await trainer.EvaluateAsync();
        double preferenceBefore = ImplicitPreference(policy, heldOut);
        double greedyBefore = GreedyFollowsRule(policy, heldOut);
        await trainer.TrainAsync();
        IReadOnlyDictionary<string, double> after = await trainer.EvaluateAsync();
        double preferenceAfter = ImplicitPreference(policy, heldOut);
        double greedyAfter = GreedyFollowsRule(policy, heldOut);

        output.WriteLine($"{parameters} parameters, {train.Count} training pairs, {heldOut.Count} held-out pairs, {options.MaxSteps} steps, {stopwatch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"before: eval_rewards/accuracies {before["eval_rewards/accuracies"]:F3} (policy = reference: every reward is 0, a tie), " +
            $"log π(chosen) > log π(rejected) on {preferenceBefore:F3}, greedy follows the rule on {greedyBefore:F3}, eval_loss {before["eval_loss"]:F4}");
        foreach (var (step, metrics) in recorder.Logs.Where(l => l.Metrics.ContainsKey("eval_rewards/accuracies")))
        {
            output.WriteLine($"step {step}: eval_rewards/accuracies {metrics["eval_rewards/accuracies"]:F3}, eval_rewards/margins {metrics["eval_rewards/margins"]:F3}, eval_loss {metrics["eval_loss"]:F4}");
        }

        output.WriteLine($"after: eval_rewards/accuracies {after["eval_rewards/accuracies"]:F3}, log π(chosen) > log π(rejected) on {preferenceAfter:F3}, " +
            $"greedy follows the rule on {greedyAfter:F3}, eval_loss {after["eval_loss"]:F4}");

        Assert.InRange(parameters, 200_000, 500_000);
        Assert.Equal(0.0, before["eval_rewards/margins"]);
        Assert.Equal(Math.Log(2), before["eval_loss"], 1e-6);
        Assert.InRange(preferenceBefore, 0.3, 0.7);                 // the random model has no preference: chance
        Assert.True(after["eval_rewards/accuracies"] >= 0.9, $"eval_rewards/accuracies {after["eval_rewards/accuracies"]}");
        Assert.True(after["eval_loss"] < 0.6, $"eval_loss {after["eval_loss"]}");
        Assert.True(greedyBefore <= 0.2, $"greedy before {greedyBefore}");
        Assert.True(greedyAfter >= 0.8, $"greedy after {greedyAfter}");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(60), $"took {stopwatch.Elapsed}");
    }

    /// <summary>The fraction of pairs on which the policy itself (no reference) gives the chosen answer the higher log-prob.</summary>
    private static double ImplicitPreference(CausalLanguageModel policy, List<TokenizedPreference> pairs)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var batch = new PreferenceCollator(SyntheticPreferences.Pad).Collate(pairs);
        Tensor sums = TokenLogProbs.ForCompletions(policy.Forward(batch.InputIds, batch.AttentionMask), batch.InputIds, batch.CompletionMask).Sum;
        Tensor[] halves = sums.chunk(2);
        return halves[0].gt(halves[1]).to(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>The fraction of prompts whose greedy continuation starts with the prompt's last token, as the rule says.</summary>
    private static double GreedyFollowsRule(CausalLanguageModel policy, List<TokenizedPreference> pairs)
    {
        var generator = new TokenGenerator(policy);
        var options = new GenerationOptions { MaxNewTokens = 2, EosTokenIds = [SyntheticPreferences.Eos] };
        IReadOnlyList<GenerationResult> results = generator.GenerateBatch([.. pairs.Select(p => (IReadOnlyList<int>)p.PromptIds)], options);
        return results.Select((r, i) => r.TokenIds.Count > 0 && r.TokenIds[0] == pairs[i].PromptIds[^1] ? 1.0 : 0.0).Average();
    }
}
