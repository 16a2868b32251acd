using TorchSharp;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Multi-head self-attention with grouped-query heads (Ainslie et al. 2023): <c>num_key_value_heads</c> key/value heads are
/// each shared by <c>num_attention_heads / num_key_value_heads</c> query heads (<c>repeat_kv</c>), rotary embeddings on
/// queries and keys, and one attention path: <c>scaled_dot_product_attention</c> with an explicit additive mask.
/// </summary>
/// <remarks>
/// The variants are options, as in transformers' modular files: q/k/v and o biases (<see cref="TransformerConfig.QueryKeyValueBias"/>,
/// <see cref="TransformerConfig.OutputBias"/>; Qwen2 has the first only), Qwen3's per-head RMSNorm of queries and keys before RoPE
/// (<c>q_norm</c>, <c>k_norm</c>), and SmolLM3's NoPE layers, which skip the rotation.
/// </remarks>
internal sealed class Attention : nn.Module
{
    private readonly int headCount;
    private readonly int keyValueHeadCount;
    private readonly int headDim;
    private readonly double dropout;
    private readonly bool usesRope;

    [ComponentName(Name = "q_proj")]
    private readonly Projection queryProjection;

    [ComponentName(Name = "k_proj")]
    private readonly Projection keyProjection;

    [ComponentName(Name = "v_proj")]
    private readonly Projection valueProjection;

    [ComponentName(Name = "o_proj")]
    private readonly Projection outputProjection;

    [ComponentName(Name = "q_norm")]
    private readonly RmsNorm? queryNorm;

    [ComponentName(Name = "k_norm")]
    private readonly RmsNorm? keyNorm;

    public Attention(TransformerConfig config, int layerIndex, ModelPlacement placement)
        : base(nameof(Attention))
    {
        headCount = config.NumAttentionHeads;
        keyValueHeadCount = config.ResolvedNumKeyValueHeads;
        headDim = config.ResolvedHeadDim;
        dropout = config.AttentionDropout ?? 0.0;
        usesRope = config.LayerUsesRope(layerIndex);
        bool bias = config.QueryKeyValueBias;
        queryProjection = new Projection("q_proj", config.HiddenSize, (long)headCount * headDim, bias, placement);
        keyProjection = new Projection("k_proj", config.HiddenSize, (long)keyValueHeadCount * headDim, bias, placement);
        valueProjection = new Projection("v_proj", config.HiddenSize, (long)keyValueHeadCount * headDim, bias, placement);
        outputProjection = new Projection("o_proj", (long)headCount * headDim, config.HiddenSize, config.OutputBias, placement);
        if (config.UsesQueryKeyNorm)
        {
            queryNorm = new RmsNorm("q_norm", headDim, config.RmsNormEps, placement);
            keyNorm = new RmsNorm("k_norm", headDim, config.RmsNormEps, placement);
        }

        RegisterComponents();
    }

    /// <summary>Whether training-mode passes apply <c>attention_dropout</c>; see <see cref="IConfigurableDropout"/>.</summary>
    public bool DropoutEnabled { get; set; } = true;

    /// <summary>Attends over the cached and new positions.</summary>
    /// <param name="hidden">Normalized hidden states <c>[B, T, H]</c>.</param>
    /// <param name="cos">Rotary cosines <c>[B, T, d]</c>.</param>
    /// <param name="sin">Rotary sines <c>[B, T, d]</c>.</param>
    /// <param name="mask">Additive mask <c>[B, 1, T, S]</c> (S = cached + T).</param>
    /// <param name="cache">This layer's cache, appended to when given.</param>
    /// <returns><c>[B, T, H]</c>.</returns>
    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, Tensor mask, LayerKeyValueCache? cache)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0];
        long length = hidden.shape[1];

        Tensor queries = queryProjection.forward(hidden).view(batch, length, headCount, headDim); // [B, T, h, d]
        Tensor keys = keyProjection.forward(hidden).view(batch, length, keyValueHeadCount, headDim); // [B, T, kv, d]
        Tensor values = valueProjection.forward(hidden).view(batch, length, keyValueHeadCount, headDim).transpose(1, 2); // [B, kv, T, d]
        if (queryNorm is not null && keyNorm is not null)
        {
            // Qwen3: RMSNorm over each head's d features, before RoPE.
            queries = queryNorm.forward(queries);
            keys = keyNorm.forward(keys);
        }

        queries = queries.transpose(1, 2); // [B, h, T, d]
        keys = keys.transpose(1, 2); // [B, kv, T, d]
        if (usesRope)
        {
            queries = RotaryEmbedding.Apply(queries, cos, sin);
            keys = RotaryEmbedding.Apply(keys, cos, sin);
        }

        if (cache is not null)
        {
            (keys, values) = cache.Append(keys, values); // [B, kv, S, d]
        }

        Tensor expandedKeys = RepeatKeyValue(keys); // [B, h, S, d]
        Tensor expandedValues = RepeatKeyValue(values); // [B, h, S, d]

        // The default scale of scaled_dot_product_attention is 1/sqrt(d) with d = head_dim, as Llama uses.
        Tensor attended = nn.functional.scaled_dot_product_attention(
            queries, expandedKeys, expandedValues, mask, p: training && DropoutEnabled ? dropout : 0.0); // [B, h, T, d]
        Tensor merged = attended.transpose(1, 2).reshape(batch, length, (long)headCount * headDim); // [B, T, h*d]
        return outputProjection.forward(merged).MoveToOuterDisposeScope();
    }

    /// <summary><c>repeat_kv</c>: key/value head g serves query heads <c>g·n .. g·n + n - 1</c>. <c>[B, kv, S, d]</c> → <c>[B, h, S, d]</c>.</summary>
    private Tensor RepeatKeyValue(Tensor states)
    {
        int repeats = headCount / keyValueHeadCount;
        if (repeats == 1)
        {
            return states;
        }

        long batch = states.shape[0];
        long length = states.shape[2];
        return states.unsqueeze(2)
            .expand(batch, keyValueHeadCount, repeats, length, headDim)
            .reshape(batch, (long)headCount, length, headDim);
    }
}
