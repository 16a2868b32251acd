using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Root-mean-square layer norm (Zhang and Sennrich 2019): <c>weight · x / sqrt(mean(x²) + eps)</c>, with eps inside the
/// square root and the statistics computed in float32, as Llama does.
/// </summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly double epsilon;

    [ComponentName(Name = "weight")]
    private Parameter weight;

    public RmsNorm(string name, long size, double epsilon, ModelPlacement placement)
        : base(name)
    {
        this.epsilon = epsilon;
        weight = ParameterFactory.Uninitialized([size], placement);
        RegisterComponents();
    }

    public Parameter Weight => weight;

    /// <summary>Normalizes the last dimension: <c>[..., H]</c> → <c>[..., H]</c>.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        ScalarType inputType = input.dtype;

        // Mean of squares in float32: in bf16/fp16 it loses too many bits (and fp16 overflows).
        Tensor wide = input.to(ScalarType.Float32);
        Tensor meanSquare = wide.pow(2).mean([-1], keepdim: true); // [..., 1]
        Tensor normalized = wide * rsqrt(meanSquare + epsilon);

        // Back to the model dtype before the weight, matching transformers' rounding order.
        return (weight * normalized.to(inputType)).MoveToOuterDisposeScope();
    }
}
