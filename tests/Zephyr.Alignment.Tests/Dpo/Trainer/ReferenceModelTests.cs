using TorchSharp;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Scoring;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

public sealed class ReferenceModelTests
{
    [Fact]
    public void Freezing_turns_off_gradients_on_every_parameter_and_selects_evaluation_mode()
    {
        CausalLanguageModel model = SyntheticPreferences.Model(attentionDropout: 0.1);
        model.SetTrainingMode(true);
        int parameters = model.named_parameters().Count();

        using var reference = new ReferenceModel(model);

        Assert.Equal(parameters, reference.ParameterCount);
        Assert.All(model.named_parameters(), p => Assert.False(p.parameter.requires_grad, p.name));
        Assert.Empty(model.NamedTrainableParameters());
        Assert.False(model.IsTraining);
    }

    [Fact]
    public void Log_probs_carry_no_gradient_and_training_mode_set_from_outside_is_undone()
    {
        CausalLanguageModel model = SyntheticPreferences.Model(attentionDropout: 0.5);
        using var reference = new ReferenceModel(model);
        using var scope = NewDisposeScope();
        using var batch = SyntheticPreferences.Dataset(SyntheticPreferences.RaggedPairs(4, seed: 3)).Collate([0, 1, 2, 3]);

        Tensor first = reference.SequenceLogProbs(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU);
        model.SetTrainingMode(true); // an accident elsewhere: with dropout 0.5 the next call would differ
        Tensor second = reference.SequenceLogProbs(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU);

        Assert.False(model.IsTraining);
        Assert.False(first.requires_grad);
        Assert.Equal([8L], first.shape);
        Assert.Equal(TinyTraining.Bytes(first), TinyTraining.Bytes(second));
    }

    [Fact]
    public void Log_probs_equal_the_unfrozen_models_summed_completion_log_probs()
    {
        using CausalLanguageModel twin = SyntheticPreferences.Model(seed: 11);
        using var reference = new ReferenceModel(SyntheticPreferences.Model(seed: 11));
        using var scope = NewDisposeScope();
        using var batch = SyntheticPreferences.Dataset(SyntheticPreferences.RaggedPairs(3, seed: 4)).Collate([0, 1, 2]);
        var (ids, mask, completion) = (batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask);

        Tensor expected = TokenLogProbs.ForCompletions(twin.Forward(ids, mask), ids, completion).Sum;
        Tensor actual = reference.SequenceLogProbs(ids, mask, completion, CPU);

        Assert.Equal(TinyTraining.Bytes(expected.detach()), TinyTraining.Bytes(actual));
    }

    [Fact]
    public void A_bfloat16_reference_beside_a_float32_policy_returns_float32_log_probs_close_to_the_float32_ones()
    {
        using var full = new ReferenceModel(SyntheticPreferences.Model(seed: 12));
        using var half = new ReferenceModel(SyntheticPreferences.Model(seed: 12), CPU, ScalarType.BFloat16);
        using var scope = NewDisposeScope();
        using var batch = SyntheticPreferences.Dataset(SyntheticPreferences.RaggedPairs(4, seed: 5)).Collate([0, 1, 2, 3]);

        Tensor exact = full.SequenceLogProbs(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU);
        Tensor approximate = half.SequenceLogProbs(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU);

        Assert.Equal(ScalarType.BFloat16, half.DType);
        Assert.Equal(ScalarType.Float32, approximate.dtype);
        double worst = (exact - approximate).abs().max().item<float>();
        Assert.InRange(worst, 0, 0.1); // bf16 weights on ~7 nats of log-prob
    }

    [Fact]
    public void An_already_frozen_model_and_a_disposed_reference_are_refused()
    {
        CausalLanguageModel model = SyntheticPreferences.Model();
        var reference = new ReferenceModel(model);
        Assert.Throws<ArgumentException>(() => new ReferenceModel(model));

        reference.Dispose();

        Assert.True(reference.IsDisposed);
        using var scope = NewDisposeScope();
        Tensor ids = ones(2, 3, dtype: ScalarType.Int64);
        Assert.Throws<ObjectDisposedException>(() => reference.SequenceLogProbs(ids, ids, ids, CPU));
    }
}
