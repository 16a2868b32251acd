using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>In a bf16 model, RMSNorm statistics and RoPE angles are computed in float32, as transformers does.</summary>
public sealed class HalfPrecisionUpcastTests
{
    [Fact]
    public void Rms_norm_in_bf16_normalizes_in_float32_and_rounds_before_the_weight_as_transformers()
    {
        using var scope = NewDisposeScope();
        using var norm = new RmsNorm("norm", 64, 1e-5, new ModelPlacement(CPU, ScalarType.BFloat16));
        using (no_grad())
        {
            norm.Weight.copy_(linspace(0.5, 1.5, 64));
        }

        Tensor x = (randn([4, 64], generator: new Generator(3)) * 30).to(ScalarType.BFloat16);

        // LlamaRMSNorm: weight * (x.float() * rsqrt(mean(x.float()²) + eps)).to(input_dtype)
        Tensor wide = x.to(ScalarType.Float32);
        Tensor expected = norm.Weight * (wide * rsqrt(wide.pow(2).mean([-1], keepdim: true) + 1e-5)).to(ScalarType.BFloat16);
        Tensor narrow = norm.Weight * (x * rsqrt(x.pow(2).mean([-1], keepdim: true) + 1e-5));

        Tensor actual = norm.forward(x);
        Assert.Equal(ScalarType.BFloat16, actual.dtype);
        Assert.True(TinyTraining.Bytes(expected).AsSpan().SequenceEqual(TinyTraining.Bytes(actual)));
        Assert.False(TinyTraining.Bytes(narrow).AsSpan().SequenceEqual(TinyTraining.Bytes(actual)), "a pure-bf16 norm would give the same bits; the test proves nothing");
    }

    [Fact]
    public void Rope_angles_for_a_bf16_model_are_computed_from_float32_positions()
    {
        using var scope = NewDisposeScope();
        using CausalLanguageModel model = TinyTraining.Model();
        var rotary = new RotaryEmbedding(model.Config);
        Tensor positions = arange(1000, 1016, ScalarType.Int64).unsqueeze(0); // [1, 16], beyond bf16's exact integers (256)
        (Tensor cos, Tensor sin) = rotary.Angles(positions, ScalarType.BFloat16);
        (Tensor cos32, Tensor sin32) = rotary.Angles(positions, ScalarType.Float32);

        Assert.Equal(ScalarType.BFloat16, cos.dtype);
        Assert.True(TinyTraining.Bytes(cos32.to(ScalarType.BFloat16)).AsSpan().SequenceEqual(TinyTraining.Bytes(cos)));
        Assert.True(TinyTraining.Bytes(sin32.to(ScalarType.BFloat16)).AsSpan().SequenceEqual(TinyTraining.Bytes(sin)));

        // What a bf16 position would give instead: 1001 is not a bf16 number, so the angles differ.
        Tensor roundedPositions = positions.to(ScalarType.BFloat16).to(ScalarType.Int64);
        Assert.False(roundedPositions.eq(positions).all().item<bool>());
        Assert.False(TinyTraining.Bytes(rotary.Angles(roundedPositions, ScalarType.BFloat16).Cos).AsSpan().SequenceEqual(TinyTraining.Bytes(cos)));
    }
}
