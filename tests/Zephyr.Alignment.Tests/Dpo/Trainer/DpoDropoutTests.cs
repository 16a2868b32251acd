using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

/// <summary>TRL's <c>disable_dropout=True</c>: the policy trains without dropout unless asked to keep it.</summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class DpoDropoutTests
{
    private static async Task<(double FirstReward, List<bool> DropoutDuringTraining, CausalLanguageModel Policy)> TrainAsync(bool disableDropout)
    {
        using var folder = new TempDirectory();
        CausalLanguageModel policy = SyntheticPreferences.Model(attentionDropout: 0.5);
        DpoOptions options = SyntheticPreferences.Options(folder.Path);
        options.MaxSteps = 1;
        options.DisableDropout = disableDropout;
        var seen = new List<bool>();
        var recorder = new RecordingCallback(_ => seen.Add(policy.DropoutEnabled && policy.IsTraining));

        // The reference is the same weights, so at step 1 every reward β·(log π − log π_ref) is 0 unless dropout perturbs π.
        using var trainer = new DpoTrainer(
            policy, SyntheticPreferences.Model(attentionDropout: 0.5), SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(4, seed: 1)), options, callbacks: [recorder]);
        await trainer.TrainAsync();
        return (recorder.Logs[0].Metrics[MetricNames.RewardsChosen], seen, policy);
    }

    [Fact]
    public async Task Dropout_is_off_during_training_by_default_and_restored_after()
    {
        var (reward, dropoutDuringTraining, policy) = await TrainAsync(disableDropout: true);
        using (policy)
        {
            Assert.Equal(0.0, reward);
            Assert.Equal([false], dropoutDuringTraining);
            Assert.True(policy.DropoutEnabled);
        }
    }

    [Fact]
    public async Task DisableDropout_false_keeps_it()
    {
        var (reward, dropoutDuringTraining, policy) = await TrainAsync(disableDropout: false);
        using (policy)
        {
            Assert.NotEqual(0.0, reward);
            Assert.Equal([true], dropoutDuringTraining);
        }
    }

    [Fact]
    public void Label_smoothing_that_the_chosen_loss_ignores_is_a_validation_error()
    {
        List<string> Failures(Action<DpoOptions> configure)
        {
            var options = new DpoOptions();
            configure(options);
            var failures = new List<string>();
            DpoOptionsValidator.AddFailures(options, failures);
            return failures;
        }

        string ignored = Assert.Single(Failures(o => o.LabelSmoothing = 0.1));
        Assert.Contains("LabelSmoothing is 0.1", ignored, StringComparison.Ordinal);
        Assert.Contains("sigmoid", ignored, StringComparison.Ordinal);
        Assert.Empty(Failures(o => { o.LabelSmoothing = 0.1; o.LossType = ["robust"]; }));
        Assert.Empty(Failures(o => { o.LabelSmoothing = 0.1; o.LossType = ["sigmoid", "exo_pair"]; }));
        Assert.Empty(Failures(o => { o.LabelSmoothing = 0.1; o.LegacyLosses = true; }));
        Assert.Single(Failures(o => { o.LabelSmoothing = 0.1; o.LossType = ["ipo"]; o.LegacyLosses = true; }));
    }
}
