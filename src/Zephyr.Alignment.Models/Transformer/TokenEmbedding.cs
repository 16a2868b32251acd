using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>The token embedding table <c>[V, H]</c>; its parameter is named <c>weight</c>, as in checkpoints.</summary>
internal sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private Parameter weight;

    public TokenEmbedding(long vocabularySize, long hiddenSize, ModelPlacement placement)
        : base(nameof(TokenEmbedding))
    {
        weight = ParameterFactory.Uninitialized([vocabularySize, hiddenSize], placement);
        RegisterComponents();
    }

    public Parameter Weight => weight;

    /// <summary>
    /// Marks the output as requiring a gradient in training passes even when the table is frozen (transformers'
    /// <c>enable_input_require_grads</c>, which PEFT models need): a checkpointed layer whose input needs no gradient
    /// would otherwise drop out of the graph, and the adapters inside it would get none. Set while LoRA adapters are attached.
    /// </summary>
    internal bool RequireOutputGrad { get; set; }

    /// <summary>Looks up rows: ids <c>[B, T]</c> → embeddings <c>[B, T, H]</c>.</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        Tensor rows = weight.index_select(0, inputIds.reshape(-1)); // [B*T, H]
        Tensor embeddings = rows.view(inputIds.shape[0], inputIds.shape[1], weight.shape[1]);
        if (RequireOutputGrad && training && is_grad_enabled() && !embeddings.requires_grad)
        {
            embeddings = rows.detach().view(inputIds.shape[0], inputIds.shape[1], weight.shape[1]).requires_grad_(true);
        }

        return embeddings.MoveToOuterDisposeScope();
    }
}
