using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>One pre-norm decoder layer: <c>x + attn(norm(x))</c>, then <c>h + mlp(norm(h))</c>.</summary>
internal sealed class DecoderLayer : nn.Module
{
    private readonly TransformerConfig config;
    private readonly int layerIndex;

    [ComponentName(Name = "input_layernorm")]
    private readonly RmsNorm inputNorm;

    [ComponentName(Name = "self_attn")]
    private readonly Attention selfAttention;

    [ComponentName(Name = "post_attention_layernorm")]
    private readonly RmsNorm postAttentionNorm;

    [ComponentName(Name = "mlp")]
    private readonly Mlp mlp;

    public DecoderLayer(TransformerConfig config, int layerIndex, ModelPlacement placement)
        : base(nameof(DecoderLayer))
    {
        this.config = config;
        this.layerIndex = layerIndex;
        inputNorm = new RmsNorm("input_layernorm", config.HiddenSize, config.RmsNormEps, placement);
        selfAttention = new Attention(config, layerIndex, placement);
        postAttentionNorm = new RmsNorm("post_attention_layernorm", config.HiddenSize, config.RmsNormEps, placement);
        mlp = new Mlp(config, placement);
        RegisterComponents();
    }

    /// <summary>
    /// This layer's attention window (<see cref="TransformerConfig.SlidingWindowOfLayer"/>); null for full causal attention.
    /// Read from the config at each call, so a changed <see cref="TransformerConfig.SlidingWindow"/> takes effect.
    /// </summary>
    public int? SlidingWindow => config.SlidingWindowOfLayer(layerIndex);

    /// <summary>Whether training-mode passes apply dropout (attention dropout is the only one).</summary>
    public bool DropoutEnabled
    {
        get => selfAttention.DropoutEnabled;
        set => selfAttention.DropoutEnabled = value;
    }

    /// <summary><c>[B, T, H]</c> → <c>[B, T, H]</c>; see <see cref="Attention.Forward"/> for the other arguments.</summary>
    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, Tensor mask, LayerKeyValueCache? cache)
    {
        using var scope = NewDisposeScope();
        Tensor afterAttention = hidden + selfAttention.Forward(inputNorm.forward(hidden), cos, sin, mask, cache);
        Tensor output = afterAttention + mlp.forward(postAttentionNorm.forward(afterAttention));
        return output.MoveToOuterDisposeScope();
    }
}
