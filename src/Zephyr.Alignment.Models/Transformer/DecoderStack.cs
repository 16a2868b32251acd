using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>The transformer body (Hugging Face's <c>LlamaModel</c>, saved under <c>model.</c>): embeddings, layers, final norm.</summary>
internal sealed class DecoderStack : nn.Module
{
    [ComponentName(Name = "embed_tokens")]
    private readonly TokenEmbedding embedTokens;

    [ComponentName(Name = "layers")]
    private readonly ModuleList<DecoderLayer> layers;

    [ComponentName(Name = "norm")]
    private readonly RmsNorm norm;

    public DecoderStack(TransformerConfig config, ModelPlacement placement)
        : base(nameof(DecoderStack))
    {
        embedTokens = new TokenEmbedding(config.VocabSize, config.HiddenSize, placement);
        layers = new ModuleList<DecoderLayer>();
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            layers.Add(new DecoderLayer(config, i, placement));
        }

        norm = new RmsNorm("norm", config.HiddenSize, config.RmsNormEps, placement);
        RegisterComponents();
    }

    public TokenEmbedding EmbedTokens => embedTokens;

    public IList<DecoderLayer> Layers => layers;

    public RmsNorm Norm => norm;
}
