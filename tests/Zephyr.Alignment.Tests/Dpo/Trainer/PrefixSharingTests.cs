using Microsoft.Extensions.Configuration;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Scoring;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Models;
using Zephyr.Alignment.Tests.Sft;
using Zephyr.Alignment.Tests.Training;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

/// <summary>
/// DPO prefix sharing (<see cref="DpoOptions.PrefixSharing"/>): one <c>[prompt; chosen; rejected]</c> row per pair gives
/// the unshared rows' sequence log-probs, loss, metrics and gradients, for the policy and the live references.
/// </summary>
public sealed class PrefixSharingTests
{
    private const double Tolerance = 2e-5;

    /// <summary>Pairs with different prompt, chosen and rejected lengths, so both layouts pad.</summary>
    private static List<TokenizedPreference> Pairs(int vocabulary, int seed = 11)
    {
        var random = new Random(seed);
        int[] Tokens(int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(3, vocabulary))];
        (int Prompt, int Chosen, int Rejected)[] lengths = [(5, 3, 6), (2, 7, 1), (9, 2, 4), (3, 1, 1)];
        return [.. lengths.Select((l, i) => new TokenizedPreference(Tokens(l.Prompt), Tokens(l.Chosen), Tokens(l.Rejected), $"pair {i}"))];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Packed_rows_give_the_sequence_log_probs_of_the_unshared_rows(bool leftPadded)
    {
        using CausalLanguageModel model = TinyTraining.Model(seed: 4);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using PreferenceBatch batch = new PreferenceCollator(0).Collate(Pairs(TinyTraining.Vocabulary));
        Tensor expected = UnsharedSums(model, batch.InputIds, batch.AttentionMask, batch.CompletionMask); // [2B]

        (Tensor ids, Tensor attention, Tensor completion) = leftPadded
            ? (LeftPad(batch.InputIds, batch.AttentionMask), LeftPad(batch.AttentionMask, batch.AttentionMask), LeftPad(batch.CompletionMask, batch.AttentionMask))
            : (batch.InputIds, batch.AttentionMask, batch.CompletionMask);
        using PrefixSharedPairs shared = PrefixSharedPairs.Pack(ids, attention, completion);
        var (chosen, rejected) = shared.SequenceSums(shared.Score(model).PerToken);

        Assert.Equal(9 + 2 + 4, shared.PackedLength);                   // the longest pair
        Assert.Equal(3 + 7 + 2 + 1, shared.ChosenTokenCount);
        AssertClose(expected, cat([chosen, rejected]), "sequence log-probs");
        if (leftPadded)
        {
            // The same batch left-padded through the unshared path (positions shifted, RoPE is relative) agrees too.
            AssertClose(expected, UnsharedSums(model, ids, attention, completion), "left-padded unshared rows");
        }
    }

    [Fact]
    public void Rejected_tokens_do_not_see_the_chosen_ones()
    {
        using var scope = NewDisposeScope();
        using PreferenceBatch batch = new PreferenceCollator(0).Collate([new TokenizedPreference([5, 6], [7, 8], [9])]);
        using PrefixSharedPairs shared = PrefixSharedPairs.Pack(batch.InputIds, batch.AttentionMask, batch.CompletionMask);

        Assert.Equal([5L, 6, 7, 8, 9], shared.InputIds.data<long>().ToArray());
        Assert.Equal([0L, 1, 2, 3, 2], shared.PositionIds.data<long>().ToArray());
        Assert.Equal([1L, 2, 1], shared.LogitPositions.data<long>().ToArray()); // chosen from 1, 2; rejected from the shared 1
        Assert.Equal([7L, 8, 9], shared.Targets.data<long>().ToArray());
        bool[] visible = shared.VisibilityMask(CPU)[0, 4].data<bool>().ToArray();
        Assert.Equal([true, true, false, false, true], visible);
    }

    [Fact]
    public void A_pair_whose_rows_carry_different_prompts_is_refused()
    {
        using var scope = NewDisposeScope();
        using PreferenceBatch batch = new PreferenceCollator(0).Collate([new TokenizedPreference([5, 6], [7], [9])]);
        batch.InputIds[1, 0] = tensor(4L);

        var error = Assert.Throws<ArgumentException>(() => PrefixSharedPairs.Pack(batch.InputIds, batch.AttentionMask, batch.CompletionMask));
        Assert.Contains("Pair 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_policy_loss_metrics_and_gradients_equal_the_unshared_path()
    {
        using CausalLanguageModel policy = TinyTraining.Model(seed: 5);
        using var scope = NewDisposeScope();
        using PreferenceBatch pairs = new PreferenceCollator(0).Collate(Pairs(TinyTraining.Vocabulary));
        using var batch = new DpoBatch(pairs, tensor(new float[] { -20f, -30f, -12f, -8f }), tensor(new float[] { -25f, -9f, -15f, -7f }));
        ILossFunction loss = DpoLosses.Create(["sigmoid", "sft"], [1.0, 0.5], beta: 0.1);

        ObjectiveOutput unshared = new DpoObjective(loss, null, prefixSharing: false).ComputeLoss(policy, batch, training: true);
        unshared.Loss.backward();
        Dictionary<string, Tensor> unsharedGrads = TinyTraining.TakeGradients(policy);
        ObjectiveOutput shared = new DpoObjective(loss, null, prefixSharing: true).ComputeLoss(policy, batch, training: true);
        shared.Loss.backward();
        Dictionary<string, Tensor> sharedGrads = TinyTraining.TakeGradients(policy);

        Assert.Equal(unshared.Loss.item<float>(), shared.Loss.item<float>(), Tolerance);
        Assert.Equal(unshared.Metrics.Keys.Order(), shared.Metrics.Keys.Order());
        foreach (var (name, value) in unshared.Metrics)
        {
            Assert.True(Math.Abs(value - shared.Metrics[name]) <= Tolerance * Math.Max(1, Math.Abs(value)), $"{name}: {value} vs {shared.Metrics[name]}");
        }

        Assert.Equal(unshared.Counts![MetricNames.NumTokens], shared.Counts![MetricNames.NumTokens]);
        TinyTraining.AssertGradientsClose(unsharedGrads, sharedGrads, 1e-5);
    }

    [Fact]
    public void The_live_references_compute_the_unshared_log_probs()
    {
        using var scope = NewDisposeScope();
        using PreferenceBatch batch = new PreferenceCollator(0).Collate(Pairs(TinyTraining.Vocabulary, seed: 3));
        using PrefixSharedPairs shared = PrefixSharedPairs.Pack(batch.InputIds, batch.AttentionMask, batch.CompletionMask);

        using var frozen = new ReferenceModel(TinyTraining.Model(seed: 6));
        AssertClose(frozen.SequenceLogProbs(batch.InputIds, batch.AttentionMask, batch.CompletionMask, CPU), frozen.SequenceLogProbs(shared, CPU), "ReferenceModel");

        using CausalLanguageModel loraBase = TinyTraining.Model(seed: 8);
        using LoraModel lora = LoraModel.Create(loraBase, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, seed: 2);
        using (no_grad())
        {
            foreach (var (_, parameter) in lora.NamedAdapterParameters())
            {
                parameter.normal_(0, 0.1);
            }
        }

        using var adaptersOff = new AdapterDisabledReference(lora);
        Tensor sharedOff = adaptersOff.SequenceLogProbs(shared, CPU);
        AssertClose(adaptersOff.SequenceLogProbs(batch.InputIds, batch.AttentionMask, batch.CompletionMask, CPU), sharedOff, "adapters off");
        using (no_grad())
        {
            // Adapters off means the base model (a fresh copy of its weights), not the adapted policy.
            using CausalLanguageModel plainBase = TinyTraining.Model(seed: 8);
            AssertClose(UnsharedSums(plainBase, batch.InputIds, batch.AttentionMask, batch.CompletionMask), sharedOff, "the base model");
            Assert.True((UnsharedSums(lora, batch.InputIds, batch.AttentionMask, batch.CompletionMask) - sharedOff).abs().max().item<float>() > 1e-3);
        }
    }

    [Fact]
    public void The_objective_with_a_live_reference_gives_the_unshared_loss()
    {
        using CausalLanguageModel policy = TinyTraining.Model(seed: 5);
        using var reference = new ReferenceModel(TinyTraining.Model(seed: 9));
        using var scope = NewDisposeScope();
        using PreferenceBatch pairs = new PreferenceCollator(0).Collate(Pairs(TinyTraining.Vocabulary));
        using var batch = new DpoBatch(pairs);
        ILossFunction loss = DpoLosses.Create("sigmoid", beta: 0.1);
        var logger = new RecordingLogger<DpoObjective>();

        ObjectiveOutput unshared = new DpoObjective(loss, reference, prefixSharing: false).ComputeLoss(policy, batch, training: true);
        ObjectiveOutput shared = new DpoObjective(loss, reference, prefixSharing: true, logger).ComputeLoss(policy, batch, training: true);

        Assert.Equal(unshared.Loss.item<float>(), shared.Loss.item<float>(), Tolerance);
        Assert.Equal(unshared.Metrics[MetricNames.RewardsChosen], shared.Metrics[MetricNames.RewardsChosen], Tolerance);
        Assert.Equal(unshared.Metrics[MetricNames.RewardsRejected], shared.Metrics[MetricNames.RewardsRejected], Tolerance);
        Assert.Empty(logger.Entries); // nothing fell back
    }

    [Fact]
    public void A_sliding_window_shorter_than_the_packed_row_falls_back_with_a_warning()
    {
        // tiny-mistral's window is 8 tokens; the longest packed row here is 18, the longest unshared row 14.
        using CausalLanguageModel policy = ModelFixtures.Load("tiny-mistral");
        using var scope = NewDisposeScope();
        using PreferenceBatch pairs = new PreferenceCollator(0).Collate(Pairs((int)policy.Config.VocabSize));
        using var batch = new DpoBatch(pairs, zeros(4), zeros(4));
        ILossFunction loss = DpoLosses.Create("sigmoid", beta: 0.1);
        var logger = new RecordingLogger<DpoObjective>();
        var objective = new DpoObjective(loss, null, prefixSharing: true, logger);

        ObjectiveOutput shared = objective.ComputeLoss(policy, batch, training: false);
        objective.ComputeLoss(policy, batch, training: false);
        ObjectiveOutput unshared = new DpoObjective(loss, null).ComputeLoss(policy, batch, training: false);

        var warning = Assert.Single(logger.Entries); // once per cause, not once per batch
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("sliding window of 8 tokens", warning.Message, StringComparison.Ordinal);
        Assert.Equal(unshared.Loss.item<float>(), shared.Loss.item<float>()); // the unshared rows, exactly
    }

    [Fact]
    public void A_model_that_does_not_report_its_attention_layout_runs_unshared_with_a_warning()
    {
        using CausalLanguageModel inner = TinyTraining.Model(seed: 5);
        using var policy = new OpaquePolicy(inner);
        using var scope = NewDisposeScope();
        using PreferenceBatch pairs = new PreferenceCollator(0).Collate(Pairs(TinyTraining.Vocabulary));
        using var batch = new DpoBatch(pairs, zeros(4), zeros(4));
        var logger = new RecordingLogger<DpoObjective>();

        new DpoObjective(DpoLosses.Create("sigmoid", beta: 0.1), null, prefixSharing: true, logger).ComputeLoss(policy, batch, training: false);

        var warning = Assert.Single(logger.Entries);
        Assert.Contains("IAttentionLayout", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_trainer_trains_with_prefix_sharing_as_without()
    {
        var pairs = SyntheticPreferences.RaggedPairs(8, seed: 5);
        var losses = new List<List<double>>();
        foreach (bool sharing in new[] { false, true })
        {
            using var folder = new TempDirectory();
            using CausalLanguageModel policy = SyntheticPreferences.Model();
            DpoOptions options = SyntheticPreferences.Options(folder.Path);
            options.MaxSteps = 3;
            options.PrefixSharing = sharing;
            var recorder = new RecordingCallback();
            using var trainer = new DpoTrainer(policy, SyntheticPreferences.Model(), SyntheticPreferences.Dataset(pairs), options, callbacks: [recorder]);
            await trainer.TrainAsync();
            losses.Add(recorder.TrainLosses());
        }

        Assert.Equal(3, losses[1].Count);
        Assert.True(losses[1][^1] < losses[1][0], "the loss falls");
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(losses[0][i] - losses[1][i]) <= 1e-4, $"step {i + 1}: {losses[0][i]} vs {losses[1][i]}");
        }
    }

    [Fact]
    public void The_option_is_on_by_default_and_binds_from_configuration()
    {
        var options = new DpoOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PrefixSharing"] = "false" }).Build().Bind(options);

        Assert.False(options.PrefixSharing);
        Assert.True(new DpoOptions().PrefixSharing);
    }

    private static Tensor UnsharedSums(IPolicyModel model, Tensor ids, Tensor attention, Tensor completion)
    {
        Tensor logits = model.Forward(ids, attention, null);
        return TokenLogProbs.ForCompletions(logits, ids, completion).Sum;
    }

    /// <summary>Moves each row's real tokens to its end (left padding), keeping the row's values in order.</summary>
    private static Tensor LeftPad(Tensor values, Tensor attention)
    {
        long rows = values.shape[0], time = values.shape[1];
        long[] data = values.data<long>().ToArray(), real = attention.sum(1).data<long>().ToArray();
        var result = new long[rows * time];
        for (long r = 0; r < rows; r++)
        {
            Array.Copy(data, r * time, result, (r * time) + time - real[r], real[r]);
        }

        return tensor(result, [rows, time]);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= Tolerance, $"{what}: differs by {diff}");
    }
}
