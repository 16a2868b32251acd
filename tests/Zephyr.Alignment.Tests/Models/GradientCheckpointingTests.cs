using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>Gradient checkpointing recomputes each decoder layer in the backward pass and changes no gradient.</summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class GradientCheckpointingTests
{
    /// <summary>One forward and backward pass over a padded batch; returns every parameter's gradient as bytes.</summary>
    private static Dictionary<string, byte[]> Gradients(CausalLanguageModel model, bool checkpointing, long seed = 7, bool padded = true)
    {
        model.SetTrainingMode(true);
        model.GradientCheckpointing = checkpointing;
        using var scope = NewDisposeScope();
        Tensor ids = tensor(TinyTraining.Corpus(3).SelectMany(r => r).ToArray(), [3, 12]);
        Tensor? mask = null; // plain causal attention (is_causal, no mask tensor)
        if (padded)
        {
            mask = ones([3, 12], ScalarType.Int64);
            mask[2, 8..] = zeros([4], ScalarType.Int64);
        }

        using (random.manual_seed(seed))
        {
        }

        Tensor logits = model.Forward(ids, mask).to(ScalarType.Float32); // [B, T, V]
        Tensor loss = nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, TinyTraining.Vocabulary), ids[.., 1..].reshape(-1));
        loss.backward();

        // The generator continues where it would have: the recomputation replayed its draws and then restored it.
        var gradients = new Dictionary<string, byte[]>(StringComparer.Ordinal) { ["<next random draw>"] = TinyTraining.Bytes(rand(4)) };
        foreach (var (name, parameter) in model.NamedTrainableParameters())
        {
            if (parameter.grad is { } grad)
            {
                gradients[name] = TinyTraining.Bytes(grad);
            }

            parameter.grad = null;
        }

        model.GradientCheckpointing = false;
        return gradients;
    }

    [Theory]
    [InlineData(0.0, true)]
    [InlineData(0.0, false)]
    [InlineData(0.3, true)]
    public void Gradients_are_bit_identical_with_and_without_checkpointing(double attentionDropout, bool padded)
    {
        using CausalLanguageModel model = TinyTraining.Model(attentionDropout: attentionDropout);
        Dictionary<string, byte[]> plain = Gradients(model, checkpointing: false, padded: padded);
        long before = CheckpointedLayer.Recomputations;
        Dictionary<string, byte[]> checkpointed = Gradients(model, checkpointing: true, padded: padded);

        Assert.Equal(model.Config.NumHiddenLayers, CheckpointedLayer.Recomputations - before);
        Assert.Equal(plain.Keys.Order(StringComparer.Ordinal), checkpointed.Keys.Order(StringComparer.Ordinal));
        Assert.All(plain, p => Assert.True(p.Value.AsSpan().SequenceEqual(checkpointed[p.Key]), $"{p.Key} differs"));
        if (attentionDropout > 0)
        {
            // Dropout really was on: another seed gives other gradients.
            Assert.False(plain["model.layers.0.self_attn.q_proj.weight"].AsSpan().SequenceEqual(Gradients(model, checkpointing: true, seed: 8)["model.layers.0.self_attn.q_proj.weight"]));
        }
    }

    [Fact]
    public void Layers_after_frozen_embeddings_still_get_their_gradients()
    {
        // The LoRA case: the first layer's input needs no gradient, but its parameters do.
        using CausalLanguageModel model = TinyTraining.Model();
        model.NamedTrainableParameters().Single(p => p.Name == "model.embed_tokens.weight").Parameter.requires_grad = false;
        Dictionary<string, byte[]> plain = Gradients(model, checkpointing: false);
        Dictionary<string, byte[]> checkpointed = Gradients(model, checkpointing: true);

        Assert.Contains("model.layers.0.self_attn.q_proj.weight", checkpointed.Keys);
        Assert.All(plain, p => Assert.True(p.Value.AsSpan().SequenceEqual(checkpointed[p.Key]), $"{p.Key} differs"));
    }

    [Fact]
    public void Evaluation_and_no_grad_passes_do_not_checkpoint()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        model.GradientCheckpointing = true;
        using var scope = NewDisposeScope();
        Tensor ids = tensor(TinyTraining.Corpus(1).SelectMany(r => r).ToArray(), [1, 12]);
        model.SetTrainingMode(false);
        Tensor expected = model.Forward(ids);
        model.SetTrainingMode(true);
        using (no_grad())
        {
            Assert.True(TinyTraining.Bytes(expected).AsSpan().SequenceEqual(TinyTraining.Bytes(model.Forward(ids))));
        }

        Assert.True(model.Forward(ids).requires_grad);
    }

    [Fact]
    public void The_training_loop_turns_checkpointing_on_for_the_run_and_refuses_a_policy_without_it()
    {
        using var output = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        TrainingOptions options = TinyTraining.Options(output.Path);
        options.MaxSteps = 2;
        options.GradientCheckpointing = true;
        var seen = new List<bool>();
        var callback = new RecordingCallback { AfterStep = _ => seen.Add(model.GradientCheckpointing) };
        long before = CheckpointedLayer.Recomputations;
        new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(4)), options, callbacks: [callback]).Run();

        Assert.Equal([true, true], seen);
        Assert.False(model.GradientCheckpointing);
        Assert.Equal(2 * model.Config.NumHiddenLayers, CheckpointedLayer.Recomputations - before);

        using var other = new TempDirectory();
        TrainingOptions refused = TinyTraining.Options(other.Path);
        refused.GradientCheckpointing = true;
        var error = Assert.Throws<InvalidOperationException>(
            () => new TrainingLoop<Tensor>(new OpaquePolicy(model), new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(4)), refused).Run());
        Assert.Contains("GradientCheckpointing", error.Message, StringComparison.Ordinal);
    }
}
