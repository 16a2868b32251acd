using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary><see cref="IPolicyModel.ForwardAt"/>: logits at selected flat positions, from the model, LoRA and the interface default.</summary>
public sealed class ForwardAtTests
{
    [Fact]
    public void The_model_LoRA_and_the_default_give_the_gathered_full_logits()
    {
        using CausalLanguageModel model = TinyTraining.Model(seed: 3);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor ids = tensor(new long[] { 1, 5, 9, 13, 17, 2, 0, 0, 3, 6, 9, 12, 15, 18, 21, 24 }, [2, 8]);
        Tensor padding = tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 8]);
        Tensor positions = tensor(new long[] { 14, 2, 3, 4, 9, 9, 0 });

        Tensor full = model.Forward(ids, padding, null).reshape(16, -1).index_select(0, positions); // [7, V]
        Tensor fromModel = model.ForwardAt(ids, padding, null, positions);
        // A third-party model with only the three-argument forward gets the interface default.
        Tensor fromDefault = ((IPolicyModel)new OpaquePolicy(model)).ForwardAt(ids, padding, null, positions);
        using LoraModel lora = LoraModel.Create(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, seed: 2);
        foreach (var (_, parameter) in lora.NamedAdapterParameters())
        {
            parameter.normal_(0, 0.1); // B starts at zero: make the adapters change the output
        }

        Tensor loraFull = lora.Forward(ids, padding, null).reshape(16, -1).index_select(0, positions);
        Tensor fromLora = lora.ForwardAt(ids, padding, null, positions);

        Assert.Equal([7, TinyTraining.Vocabulary], fromModel.shape);
        Assert.True((fromModel - full).abs().max().item<float>() <= 1e-6);
        Assert.True((fromDefault - full).abs().max().item<float>() <= 1e-6);
        Assert.True((fromLora - loraFull).abs().max().item<float>() <= 1e-6);
        Assert.True((loraFull - full).abs().max().item<float>() > 1e-4, "the adapters should change the logits");
        Assert.Equal([0, TinyTraining.Vocabulary], model.ForwardAt(ids, padding, null, zeros(0, ScalarType.Int64)).shape);
    }

    [Fact]
    public void Indices_outside_the_batch_are_refused_with_their_range()
    {
        using CausalLanguageModel model = TinyTraining.Model();
        using var scope = NewDisposeScope();
        Tensor ids = zeros([2, 4], ScalarType.Int64);

        var outside = Assert.Throws<ArgumentException>(() => model.ForwardAt(ids, null, null, tensor(new long[] { 0, 8 })));
        Assert.Contains("[0, 8)", outside.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.ForwardAt(ids, null, null, zeros([2, 2], ScalarType.Int64)));
        Assert.Throws<ArgumentException>(() => model.ForwardAt(ids, null, null, zeros(2, ScalarType.Float32)));
    }

    [Fact]
    public void Shifted_labels_select_the_positions_that_predict_a_label()
    {
        using var scope = NewDisposeScope();
        Tensor labels = tensor(new long[] { -100, -100, 7, 8, -100, -100, 5, -100 }, [2, 4]);

        var (positions, targets) = LogitPositions.ForShiftedLabels(labels);

        Assert.Equal([1L, 2L, 5L], positions.data<long>().ToArray());
        Assert.Equal([7L, 8L, 5L], targets.data<long>().ToArray());
    }
}
