using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>The SwiGLU feed-forward block (Shazeer 2020): <c>down(silu(gate(x)) · up(x))</c>.</summary>
internal sealed class Mlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")]
    private readonly Projection gateProjection;

    [ComponentName(Name = "up_proj")]
    private readonly Projection upProjection;

    [ComponentName(Name = "down_proj")]
    private readonly Projection downProjection;

    public Mlp(TransformerConfig config, ModelPlacement placement)
        : base(nameof(Mlp))
    {
        bool bias = config.MlpBias ?? false;
        gateProjection = new Projection("gate_proj", config.HiddenSize, config.IntermediateSize, bias, placement);
        upProjection = new Projection("up_proj", config.HiddenSize, config.IntermediateSize, bias, placement);
        downProjection = new Projection("down_proj", config.IntermediateSize, config.HiddenSize, bias, placement);
        RegisterComponents();
    }

    /// <summary><c>[B, T, H]</c> → <c>[B, T, H]</c>.</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor gated = nn.functional.silu(gateProjection.forward(input)) * upProjection.forward(input); // [B, T, I]
        return downProjection.forward(gated).MoveToOuterDisposeScope();
    }
}
