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

    /// <summary>Looks up rows: ids <c>[B, T]</c> → embeddings <c>[B, T, H]</c>.</summary>
    public override Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        Tensor rows = weight.index_select(0, inputIds.reshape(-1)); // [B*T, H]
        return rows.view(inputIds.shape[0], inputIds.shape[1], weight.shape[1]).MoveToOuterDisposeScope();
    }
}
