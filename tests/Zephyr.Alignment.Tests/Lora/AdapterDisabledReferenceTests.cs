using TorchSharp;
using TorchSharp.Modules;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Dpo.Trainer;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Lora;

public sealed class AdapterDisabledReferenceTests
{
    [Fact]
    public void The_adapter_off_reference_gives_exactly_the_base_models_log_probs_while_the_adapted_policy_differs()
    {
        using var batch = SyntheticPreferences.Dataset(SyntheticPreferences.RaggedPairs(4, seed: 8)).Collate([0, 1, 2, 3]);
        using var separate = new ReferenceModel(SyntheticPreferences.Model(seed: 7));
        using Tensor expected = separate.SequenceLogProbs(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU);

        using CausalLanguageModel policyBase = SyntheticPreferences.Model(seed: 7, attentionDropout: 0.2);
        using LoraModel policy = LoraModel.Create(policyBase, new LoraConfig { LoraDropout = 0.3, TargetModules = [LoraConfig.AllLinear] }, seed: 1);
        LoraModelTests.Perturb(policy);
        policy.SetTrainingMode(true);
        using var reference = new AdapterDisabledReference(policy);

        using Tensor actual = reference.SequenceLogProbs(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU);
        Assert.True(LoraModelTests.Identical(actual, expected));
        Assert.False(actual.requires_grad);

        // The policy is handed back as it was: training mode, adapters on, and its own log-probs differ from the base.
        Assert.True(policy.IsTraining);
        Assert.True(policy.AdaptersEnabled);
        policy.SetTrainingMode(false);
        using Tensor adapted = ReferenceModel.SequenceLogProbs(policy, batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU);
        Assert.False(LoraModelTests.Identical(adapted, expected));
    }

    [Fact]
    public void The_reference_shares_the_policys_storage_so_LoRA_and_reference_hold_far_fewer_bytes_than_policy_plus_copy()
    {
        // Full fine-tuning: policy + separate frozen copy + AdamW's two moments of every policy weight.
        using CausalLanguageModel fullPolicy = SyntheticPreferences.Model();
        using var fullReference = new ReferenceModel(SyntheticPreferences.Model());
        long full = DistinctBytes(fullPolicy.NamedTrainableParameters().Select(p => p.Parameter).Concat(fullReference.FrozenParameters.Select(p => p.Parameter)))
            + (2 * Bytes(fullPolicy.NamedTrainableParameters().Select(p => p.Parameter)));

        // LoRA: the base once, the adapters, their moments; the reference adds no tensor of its own.
        using CausalLanguageModel loraBase = SyntheticPreferences.Model();
        using LoraModel policy = LoraModel.Create(loraBase, new LoraConfig { R = 8, LoraAlpha = 16 });
        using var reference = new AdapterDisabledReference(policy);
        IEnumerable<Parameter> referenceWeights = ((IFingerprintableReference)reference).FrozenParameters().Select(p => p.Parameter);
        long lora = DistinctBytes(policy.NamedBaseParameters().Select(p => p.Parameter).Concat(policy.NamedTrainableParameters().Select(p => p.Parameter)).Concat(referenceWeights))
            + (2 * Bytes(policy.NamedTrainableParameters().Select(p => p.Parameter)));

        long baseBytes = Bytes(loraBase.named_parameters().Select(p => p.parameter));
        Assert.Equal(baseBytes, DistinctBytes(referenceWeights.Concat(policy.NamedBaseParameters().Select(p => p.Parameter))));
        Assert.True(lora < 0.35 * full, $"LoRA + reference {lora} bytes vs policy + reference {full} bytes");
    }

    [Fact]
    public void Its_cache_fingerprint_is_the_base_models_and_a_released_reference_refuses_work()
    {
        var pairs = SyntheticPreferences.Pairs(3, seed: 2);
        using var separate = new ReferenceModel(SyntheticPreferences.Model(seed: 7));
        using CausalLanguageModel policyBase = SyntheticPreferences.Model(seed: 7);
        using LoraModel policy = LoraModel.Create(policyBase, new LoraConfig());
        LoraModelTests.Perturb(policy);
        var reference = new AdapterDisabledReference(policy);

        Assert.Equal(
            ReferenceLogProbCache.Fingerprint(separate, pairs, SyntheticPreferences.Pad, 2, null),
            ReferenceLogProbCache.Fingerprint(reference, pairs, SyntheticPreferences.Pad, 2, null));

        reference.Dispose();
        Assert.True(reference.IsDisposed);
        using var batch = SyntheticPreferences.Dataset(pairs).Collate([0]);
        Assert.Throws<ObjectDisposedException>(() => reference.SequenceLogProbs(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask, CPU));
        Assert.Equal(8, policy.NamedTrainableParameters().Count());   // the policy is untouched: A and B of q_proj, v_proj in 2 layers
    }

    private static long Bytes(IEnumerable<Tensor> tensors) => tensors.Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>Bytes of distinct tensors: the same tensor object reached twice (shared, not copied) counts once.</summary>
    private static long DistinctBytes(IEnumerable<Tensor> tensors)
        => Bytes(tensors.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>());
}
