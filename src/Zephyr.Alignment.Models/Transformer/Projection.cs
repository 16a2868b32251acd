using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>A linear layer <c>y = x Wᵀ (+ b)</c> whose parameters are named <c>weight</c> and <c>bias</c>, as in checkpoints.</summary>
internal sealed class Projection : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private Parameter weight;

    [ComponentName(Name = "bias")]
    private Parameter? bias;

    public Projection(string name, long inputSize, long outputSize, bool hasBias, ModelPlacement placement)
        : base(name)
    {
        weight = ParameterFactory.Uninitialized([outputSize, inputSize], placement);
        bias = hasBias ? ParameterFactory.Uninitialized([outputSize], placement) : null;
        RegisterComponents();
    }

    public Parameter Weight => weight;

    /// <summary>The LoRA adapter <see cref="LoraModel"/> injected here, or null; it adds its term to the output while enabled.</summary>
    internal LoraLayer? Lora { get; set; }

    public override Tensor forward(Tensor input)
    {
        Tensor output = nn.functional.linear(input, weight, bias);
        return Lora is { Enabled: true } lora ? lora.Apply(input, output, training) : output;
    }
}
