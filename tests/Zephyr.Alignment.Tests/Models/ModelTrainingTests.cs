using TorchSharp;
using Zephyr.Alignment.Models;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>The model is trainable: gradients reach every parameter, and modes switch.</summary>
public sealed class ModelTrainingTests
{
    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-llama-tied")]
    [InlineData("tiny-mistral")]
    public void Backward_gives_a_non_zero_gradient_to_every_parameter(string fixture)
    {
        using var model = ModelFixtures.Load(fixture);
        model.SetTrainingMode(true);
        Assert.True(model.IsTraining);
        using var scope = NewDisposeScope();
        Tensor ids = ModelFixtures.Ids([1, 300, 362, 354, 274, 404, 261, 367, 295, 268, 398, 417], [1, 312, 349, 415, 270, 0, 0, 0, 0, 0, 0, 0]);
        Tensor mask = ModelFixtures.Ids([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);

        Tensor logits = model.Forward(ids, mask); // [B, T, V]
        Tensor loss = nn.functional.cross_entropy(
            logits[.., ..^1].reshape(-1, model.VocabularySize), ids[.., 1..].reshape(-1));
        loss.backward();

        var parameters = model.NamedTrainableParameters().ToList();
        Assert.Equal(model.Config.ResolvedTieWordEmbeddings ? 20 : 21, parameters.Count);
        foreach (var (name, parameter) in parameters)
        {
            Assert.NotNull(parameter.grad);
            Assert.True(parameter.grad!.abs().sum().item<float>() > 0, $"{name} got a zero gradient");
        }
    }

    [Fact]
    public void Tied_model_has_one_shared_matrix_and_no_lm_head_parameter()
    {
        using var model = ModelFixtures.Load("tiny-llama-tied");
        var names = model.NamedTrainableParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Contains("model.embed_tokens.weight", names);
    }

    [Fact]
    public void Parameter_names_are_the_hugging_face_checkpoint_keys()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        using var reader = SafeTensorsReader.Open(Path.Combine(ModelFixtures.PathOf("tiny-llama"), "model.safetensors"));
        Assert.Equal(
            reader.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal),
            model.NamedTrainableParameters().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Loaded_model_starts_in_eval_mode_and_switches()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        Assert.False(model.IsTraining);
        model.SetTrainingMode(true);
        Assert.True(model.IsTraining);
        model.SetTrainingMode(false);
        Assert.False(model.IsTraining);
    }

    [Fact]
    public void MoveTo_changes_the_dtype_and_keeps_the_model_usable()
    {
        using var model = ModelFixtures.Load("tiny-llama-tied");
        model.MoveTo(CPU, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, model.DType);
        Assert.All(model.NamedTrainableParameters(), p => Assert.Equal(ScalarType.BFloat16, p.Parameter.dtype));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor logits = model.Forward(ModelFixtures.Ids([1, 300, 362]));
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        Assert.Equal([1L, 3, 512], logits.shape);
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Fact]
    public void GetService_returns_the_model_and_its_config()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        IPolicyModel policy = model;
        Assert.Same(model, policy.GetService(typeof(CausalLanguageModel)));
        Assert.Same(model.Config, policy.GetService(typeof(TransformerConfig)));
        Assert.Null(policy.GetService(typeof(string)));
    }

    [Fact]
    public void Forward_rejects_mismatched_shapes()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        using var scope = NewDisposeScope();
        Tensor ids = ModelFixtures.Ids([1, 2, 3]);
        Assert.Throws<ArgumentException>(() => model.Forward(ids, ModelFixtures.Ids([1, 1])));
        Assert.Throws<ArgumentException>(() => model.Forward(ids, null, ModelFixtures.Ids([0, 1])));
        Assert.Throws<ArgumentException>(() => model.Forward(tensor(new long[] { 1, 2, 3 })));
        Assert.Throws<ArgumentException>(() => model.Forward(ids.to(ScalarType.Float32)));
    }

    [Fact]
    public void CreateRandom_is_reproducible_from_its_seed()
    {
        TransformerConfig config;
        using (var loaded = ModelFixtures.Load("tiny-llama"))
        {
            config = loaded.Config;
        }

        using var first = CausalLanguageModel.CreateRandom(config, seed: 7);
        using var second = CausalLanguageModel.CreateRandom(config, seed: 7);
        using var other = CausalLanguageModel.CreateRandom(config, seed: 8);
        var a = first.NamedTrainableParameters().ToList();
        var b = second.NamedTrainableParameters().ToList();
        var c = other.NamedTrainableParameters().ToList();
        for (int i = 0; i < a.Count; i++)
        {
            Assert.True(ModelFixtures.BitEqual(a[i].Parameter, b[i].Parameter), a[i].Name);
        }

        Assert.False(ModelFixtures.BitEqual(a[0].Parameter, c[0].Parameter));
        Assert.InRange(a.Single(p => p.Name == "lm_head.weight").Parameter.std().item<float>(), 0.019f, 0.021f);
        Assert.Equal(1f, a.Single(p => p.Name == "model.norm.weight").Parameter.mean().item<float>());
    }
}
