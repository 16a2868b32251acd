using TorchSharp;
using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Lora;

public sealed class LoraModelTests
{
    private static readonly long[][] Rows = [[1, 5, 9, 13, 17, 21], [2, 4, 6, 8, 10, 12]];

    [Fact]
    public void Default_targets_are_q_proj_and_v_proj_with_PEFT_initialisation_and_an_unchanged_output()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        using Tensor before = Logits(model);
        using LoraModel lora = LoraModel.Create(model, new LoraConfig { R = 4, LoraAlpha = 8 }, seed: 3);

        Assert.Equal(
            ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            lora.TargetModuleNames);
        foreach (var (name, parameter) in lora.NamedAdapterParameters())
        {
            Assert.Equal(ScalarType.Float32, parameter.dtype);
            Assert.True(parameter.requires_grad, name);
            if (name.EndsWith("lora_A.weight", StringComparison.Ordinal))
            {
                // kaiming_uniform_(a=√5) on [r, in] is U(-1/√in, 1/√in).
                double bound = 1.0 / Math.Sqrt(parameter.shape[1]);
                Assert.Equal(4, parameter.shape[0]);
                Assert.True(parameter.abs().max().item<float>() <= bound, name);
                Assert.True(parameter.abs().max().item<float>() > bound / 2, name);
            }
            else
            {
                Assert.Equal(0, parameter.count_nonzero().item<long>());
            }
        }

        using Tensor after = Logits(lora);
        Assert.True(LoraModelTests.Identical(before, after), "B = 0 must leave the output bit-identical");
    }

    [Fact]
    public void Only_the_adapters_train_and_disposing_restores_the_base_flags()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        int baseCount = model.NamedTrainableParameters().Count();
        using (LoraModel lora = LoraModel.Create(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }))
        {
            Assert.Empty(model.NamedTrainableParameters());
            Assert.All(lora.NamedBaseParameters(), p => Assert.False(p.Parameter.requires_grad, p.Name));

            // all-linear: the seven projections of each layer, never the output head.
            Assert.Equal(2 * 7 * 2, lora.NamedTrainableParameters().Count());
            Assert.DoesNotContain(lora.TargetModuleNames, n => n.Contains("lm_head", StringComparison.Ordinal));
        }

        Assert.Equal(baseCount, model.NamedTrainableParameters().Count());
    }

    [Theory]
    [InlineData(false, 6 / 4.0)]
    [InlineData(true, 6 / 2.0)]
    public void The_adapter_adds_scaling_times_B_A_x_with_alpha_over_r_or_alpha_over_sqrt_r(bool rslora, double scaling)
    {
        using CausalLanguageModel model = TinyTraining.Model();
        using LoraModel lora = LoraModel.Create(model, new LoraConfig { R = 4, LoraAlpha = 6, UseRslora = rslora });
        Assert.Equal(scaling, lora.LoraConfig.Scaling);

        using var layer = new LoraLayer(8, 5, rank: 4, lora.LoraConfig.Scaling, dropout: 0, CPU, ScalarType.Float32, trainable: true);
        using var generator = new Generator(9);
        layer.Initialize(generator);
        using (no_grad())
        {
            layer.B.copy_(randn(layer.B.shape, generator: generator));
        }

        using Tensor x = randn([2, 3, 8], generator: generator);
        using Tensor baseOutput = randn([2, 3, 5], generator: generator);
        using Tensor expected = baseOutput + (nn.functional.linear(nn.functional.linear(x, layer.A), layer.B) * scaling);
        using Tensor actual = layer.Apply(x, baseOutput, training: false);
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6));

        // A 16-bit base output: the input is cast to the adapter dtype, the sum rounded once back to bfloat16.
        using Tensor bf16 = layer.Apply(x.to(ScalarType.BFloat16), baseOutput.to(ScalarType.BFloat16), training: false);
        using Tensor bf16Expected = (baseOutput.to(ScalarType.BFloat16).to(ScalarType.Float32)
            + (nn.functional.linear(nn.functional.linear(x.to(ScalarType.BFloat16).to(ScalarType.Float32), layer.A), layer.B) * scaling)).to(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16.dtype);
        Assert.True(LoraModelTests.Identical(bf16, bf16Expected));
    }

    [Fact]
    public void A_bfloat16_base_gets_float32_adapters_and_keeps_bfloat16_outputs()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        model.MoveTo(CPU, ScalarType.BFloat16);
        using LoraModel lora = LoraModel.Create(model, new LoraConfig { TargetModules = ["q_proj", "down_proj"] });

        Assert.Equal(ScalarType.BFloat16, lora.DType);
        Assert.Equal(ScalarType.Float32, lora.AdapterDType);
        Assert.All(lora.NamedTrainableParameters(), p => Assert.Equal(ScalarType.Float32, p.Parameter.dtype));
        using Tensor logits = Logits(lora);
        Assert.Equal(ScalarType.BFloat16, logits.dtype);

        // MoveTo keeps the adapters in float32 (their own masters) and the base frozen.
        lora.MoveTo(CPU, ScalarType.Float16);
        Assert.Equal(ScalarType.Float32, lora.AdapterDType);
        Assert.All(lora.NamedBaseParameters(), p => Assert.False(p.Parameter.requires_grad, p.Name));
    }

    [Fact]
    public void Disabling_the_adapters_gives_the_base_model_exactly_and_scopes_nest()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        using Tensor baseLogits = Logits(model);
        using LoraModel lora = LoraModel.Create(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] });
        Perturb(lora);
        using Tensor adapted = Logits(lora);
        Assert.False(LoraModelTests.Identical(adapted, baseLogits));

        using (lora.DisableAdapters())
        {
            using (lora.DisableAdapters())
            {
                Assert.False(lora.AdaptersEnabled);
            }

            Assert.False(lora.AdaptersEnabled);
            using Tensor off = Logits(lora);
            Assert.True(LoraModelTests.Identical(off, baseLogits));
        }

        Assert.True(lora.AdaptersEnabled);
        using Tensor on = Logits(lora);
        Assert.True(LoraModelTests.Identical(on, adapted));
    }

    [Fact]
    public void Target_names_match_PEFT_suffix_rules_and_unknown_names_are_errors()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        using (LoraModel full = LoraModel.Create(model, new LoraConfig { TargetModules = ["model.layers.1.mlp.up_proj"] }))
        {
            Assert.Equal(["model.layers.1.mlp.up_proj"], full.TargetModuleNames);
        }

        using (LoraModel regex = LoraModel.Create(model, new LoraConfig { TargetModulesRegex = @".*\.0\.self_attn\.(k|o)_proj" }))
        {
            Assert.Equal(["model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.o_proj"], regex.TargetModuleNames);
        }

        var e = Assert.Throws<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { TargetModules = ["q_proj", "query_key_value"] }));
        Assert.Contains("query_key_value", e.Message, StringComparison.Ordinal);
        Assert.Contains("gate_proj", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { R = 0 }));
        Assert.Throws<ArgumentException>(() => LoraModel.Create(model, new LoraConfig { Bias = "all" }));
        Assert.NotEmpty(model.NamedTrainableParameters());
    }

    [Fact]
    public void While_trainable_adapters_are_attached_training_passes_mark_the_frozen_embeddings_as_needing_a_gradient()
    {
        // transformers' enable_input_require_grads: a reentrant checkpointed layer whose input needs no gradient would
        // drop out of the graph, and its adapters would silently get none.
        using CausalLanguageModel model = TinyTraining.Model();
        var embeddings = (TokenEmbedding)model.named_modules().Single(m => m.name == "model.embed_tokens").module;
        using Tensor ids = tensor(new long[] { 1, 2, 3 }).unsqueeze(0);
        bool Marked()
        {
            using Tensor output = embeddings.forward(ids);
            return output.requires_grad;
        }

        using (LoraModel lora = LoraModel.Create(model, new LoraConfig()))
        {
            lora.SetTrainingMode(true);
            Assert.True(Marked());
            using (no_grad())
            {
                Assert.False(Marked());
            }

            lora.SetTrainingMode(false);
            Assert.False(Marked());
            lora.SetTrainingMode(true);
        }

        // Without adapters the embedding table trains itself, and its output carries its gradient as always.
        Assert.True(Marked());
        model.named_parameters().Single(p => p.name == "model.embed_tokens.weight").parameter.requires_grad = false;
        Assert.False(Marked());
    }

    [Fact]
    public void Adapters_do_not_stack_and_a_model_with_adapters_refuses_a_plain_save()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        using LoraModel lora = LoraModel.Create(model, new LoraConfig());
        Assert.Throws<InvalidOperationException>(() => LoraModel.Create(model, new LoraConfig()));
        Assert.Null(lora.GetService(typeof(ILoraAdaptable)));
        Assert.Same(model, lora.GetService(typeof(CausalLanguageModel)));
        var e = Assert.Throws<InvalidOperationException>(() => model.Save(folder.File("plain")));
        Assert.Contains("LoraModel.SaveMerged", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merging_adds_scaling_B_A_to_the_weights_and_the_merged_checkpoint_runs_like_the_adapters()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        var config = new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = [LoraConfig.AllLinear] };
        using LoraModel lora = LoraModel.Create(model, config, seed: 2);
        Perturb(lora);
        using Tensor adapted = Logits(lora);
        using Tensor qBefore = model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter.detach().clone();
        var (_, a) = lora.NamedAdapterParameters().First(p => p.Name.EndsWith("layers.0.self_attn.q_proj.lora_A.weight", StringComparison.Ordinal));
        var (_, b) = lora.NamedAdapterParameters().First(p => p.Name.EndsWith("layers.0.self_attn.q_proj.lora_B.weight", StringComparison.Ordinal));
        using Tensor expectedQ = qBefore + (matmul(b, a) * config.Scaling);

        // SaveMerged writes an ordinary checkpoint and leaves this model alone.
        lora.SaveMerged(folder.File("merged"));
        Assert.True(File.Exists(folder.File("merged/model.safetensors")));
        Assert.True(LoraModelTests.Identical(model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter, qBefore));
        using (CausalLanguageModel reloaded = PretrainedModel.Load(folder.File("merged")))
        {
            Assert.True(LoraModelTests.Identical(reloaded.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter, expectedQ));
            using Tensor mergedLogits = Logits(reloaded);
            Assert.True(mergedLogits.allclose(adapted, rtol: 1e-4, atol: 1e-5));
        }

        CausalLanguageModel unloaded = lora.MergeAndUnload();
        Assert.Same(model, unloaded);
        Assert.True(LoraModelTests.Identical(model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter, expectedQ));
        Assert.NotEmpty(model.NamedTrainableParameters());
        using Tensor afterUnload = Logits(model);
        Assert.True(afterUnload.allclose(adapted, rtol: 1e-4, atol: 1e-5));
    }

    [Theory]
    [InlineData("tiny-qwen2")]        // q/k/v biases: the adapter adds to the biased output, the merge leaves biases alone
    [InlineData("tiny-qwen3")]        // q/k norms after the projections
    [InlineData("tiny-llama-tied")]   // a tied head: all-linear finds no lm_head
    public void On_model_variants_adapters_off_is_the_base_and_the_merged_checkpoint_runs_like_the_adapters(string fixture)
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel model = Models.ModelFixtures.Load(fixture);
        using Tensor baseLogits = Logits(model);
        using LoraModel lora = LoraModel.Create(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, seed: 4);
        Assert.Equal(7 * model.Config.NumHiddenLayers, lora.TargetModuleNames.Count);
        Perturb(lora);
        using Tensor adapted = Logits(lora);
        Assert.False(Identical(adapted, baseLogits));
        using (lora.DisableAdapters())
        {
            using Tensor off = Logits(lora);
            Assert.True(Identical(off, baseLogits));
        }

        lora.SaveMerged(folder.File("merged"));
        using CausalLanguageModel merged = PretrainedModel.Load(folder.File("merged"));
        using Tensor mergedLogits = Logits(merged);
        Assert.True(mergedLogits.allclose(adapted, rtol: 1e-4, atol: 1e-4));
    }

    /// <summary>Same dtype, shape and bytes.</summary>
    internal static bool Identical(Tensor actual, Tensor expected)
        => actual.dtype == expected.dtype && actual.shape.SequenceEqual(expected.shape)
            && TinyTraining.Bytes(actual).AsSpan().SequenceEqual(TinyTraining.Bytes(expected));

    internal static Tensor Logits(IPolicyModel model)
    {
        using var noGrad = no_grad();
        model.SetTrainingMode(false);
        return model.Forward(tensor(Rows.SelectMany(r => r).ToArray(), [Rows.Length, Rows[0].Length]));
    }

    /// <summary>Random B matrices, so the adapters change the output (fresh ones add exactly zero).</summary>
    internal static void Perturb(LoraModel lora, long seed = 11)
    {
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var (name, parameter) in lora.NamedAdapterParameters().Where(p => p.Name.EndsWith("lora_B.weight", StringComparison.Ordinal)))
        {
            parameter.copy_(randn(parameter.shape, generator: generator) * 0.05);
        }
    }
}
