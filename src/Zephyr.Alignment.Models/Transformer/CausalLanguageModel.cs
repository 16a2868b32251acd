using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using Zephyr.Alignment.Lora;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// A Llama-family decoder-only language model (Hugging Face's <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c>,
/// <c>Qwen2ForCausalLM</c>, <c>Qwen3ForCausalLM</c>, <c>SmolLM3ForCausalLM</c>): token embeddings,
/// <see cref="TransformerConfig.NumHiddenLayers"/> pre-norm decoder layers, a final RMSNorm and the LM head. The variants
/// differ only by the options <see cref="TransformerConfig"/> resolves.
/// </summary>
/// <remarks>
/// <para>
/// Parameter names are the checkpoint keys (<c>model.embed_tokens.weight</c>, <c>model.layers.0.self_attn.q_proj.weight</c>,
/// <c>lm_head.weight</c>, …). With <see cref="TransformerConfig.TieWordEmbeddings"/> there is no <c>lm_head</c> parameter:
/// the head multiplies by the embedding matrix itself, so the two can never drift apart, even after <see cref="MoveTo"/>.
/// </para>
/// <para>Load one with <see cref="PretrainedModel.Load"/>; the model owns its native memory, so dispose it.</para>
/// </remarks>
public sealed class CausalLanguageModel : nn.Module, IPolicyModel, IReloadableWeights, IGradientCheckpointing, IConfigurableDropout, ILoraAdaptable, IAttentionLayout, IArchitectureDescription
{
    [ComponentName(Name = "model")]
    private readonly DecoderStack body;

    [ComponentName(Name = "lm_head")]
    private readonly Projection? lmHead;

    private readonly RotaryEmbedding rotary;

    internal CausalLanguageModel(TransformerConfig config, ModelPlacement placement)
        : base(nameof(CausalLanguageModel))
    {
        Config = config;
        body = new DecoderStack(config, placement);
        lmHead = config.ResolvedTieWordEmbeddings ? null : new Projection("lm_head", config.HiddenSize, config.VocabSize, hasBias: false, placement);
        rotary = new RotaryEmbedding(config);
        RegisterComponents();
    }

    /// <summary>The architecture this model was built from.</summary>
    public TransformerConfig Config { get; }

    /// <summary>The folder the model was loaded from, whose tokenizer files <see cref="Save"/> copies; null for a new model.</summary>
    public string? SourceDirectory { get; internal set; }

    /// <inheritdoc />
    public int VocabularySize => Config.VocabSize;

    /// <inheritdoc />
    public Device Device => body.EmbedTokens.Weight.device;

    /// <inheritdoc />
    public ScalarType DType => body.EmbedTokens.Weight.dtype;

    /// <inheritdoc />
    public bool IsTraining => training;

    /// <inheritdoc />
    public bool DropoutEnabled
    {
        get => body.Layers.All(layer => layer.DropoutEnabled);
        set
        {
            foreach (DecoderLayer layer in body.Layers)
            {
                layer.DropoutEnabled = value;
            }
        }
    }

    /// <inheritdoc />
    public bool SupportsVisibilityMask => true;

    /// <inheritdoc />
    public int? SmallestSlidingWindow => body.Layers.Select(layer => layer.SlidingWindow).Where(w => w is not null).Min();

    /// <inheritdoc />
    /// <remarks>
    /// Applies to training-mode passes with gradients enabled and no cache: each decoder layer then runs through
    /// <see cref="CheckpointedLayer"/>. The embeddings, final norm and LM head are not recomputed.
    /// </remarks>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Creates a model with random weights initialized as transformers does (normal with standard deviation
    /// <see cref="TransformerConfig.InitializerRange"/>, default 0.02; norms 1; biases 0), for tests and experiments.
    /// </summary>
    /// <param name="config">The architecture; it is validated.</param>
    /// <param name="options">Device and dtype; default CPU float32.</param>
    /// <param name="seed">Seed of the weights: the same seed gives the same weights.</param>
    public static CausalLanguageModel CreateRandom(TransformerConfig config, ModelLoadOptions? options = null, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        Runtime.TorchRuntime.EnsureInitialized();
        config.Validate();
        var model = new CausalLanguageModel(config, (options ?? new ModelLoadOptions()).ToPlacement());
        try
        {
            double std = config.InitializerRange ?? 0.02;
            using var generator = new Generator((ulong)seed);
            using var noGrad = no_grad();
            foreach (var (name, parameter) in model.named_parameters())
            {
                using var scope = NewDisposeScope();
                if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                {
                    parameter.fill_(1.0);
                }
                else if (name.EndsWith(".bias", StringComparison.Ordinal))
                {
                    parameter.zero_();
                }
                else
                {
                    // Drawn on the CPU in float32 so the same seed gives the same weights on every device and dtype.
                    parameter.copy_(randn(parameter.shape, ScalarType.Float32, CPU, generator: generator) * std);
                }
            }
        }
        catch
        {
            model.Dispose();
            throw;
        }

        return model;
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null)
        => Forward(inputIds, attentionMask, positionIds, cache: null);

    /// <inheritdoc />
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, long logitsToKeep)
        => Forward(inputIds, attentionMask, positionIds, cache: null, logitsToKeep);

    /// <inheritdoc />
    /// <remarks>
    /// The decoder layers run on every position (attention needs them); the final norm and the LM head run only on the
    /// <c>N</c> selected hidden states, gathered with <c>index_select</c>, whose backward scatters an <c>[N, H]</c> gradient.
    /// </remarks>
    public Tensor ForwardAt(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, Tensor logitPositions)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        LogitPositions.Validate(logitPositions, inputIds);
        using var scope = NewDisposeScope();
        Tensor hidden = Hidden(inputIds, attentionMask, positionIds, cache: null);                  // [B, T, H]
        Tensor index = logitPositions.to(ScalarType.Int64, hidden.device);                         // [N]
        Tensor selected = hidden.reshape(-1, hidden.shape[^1]).index_select(0, index);             // [N, H]
        return Head(selected).MoveToOuterDisposeScope();                                           // [N, V]
    }

    /// <summary>
    /// Computes next-token logits for new tokens, attending to the positions already in <paramref name="cache"/> and
    /// appending the new keys and values to it.
    /// </summary>
    /// <param name="inputIds">The new token ids <c>[B, T]</c> (int64 or int32).</param>
    /// <param name="attentionMask">
    /// Null (all real), a padding mask <c>[B, cache.Length + T]</c> (1 for real tokens, 0 for padding), or a query × key
    /// visibility mask <c>[B, T, cache.Length + T]</c> (nonzero where new token t may attend to position s), such as the
    /// block-diagonal mask of packed examples. Causality and the sliding window apply on top of either.
    /// </param>
    /// <param name="positionIds">Positions of the new tokens <c>[B, T]</c>; null means <c>cache.Length .. cache.Length + T - 1</c>.</param>
    /// <param name="cache">The cache of earlier passes, or null to run the whole sequence.</param>
    /// <param name="logitsToKeep">
    /// Compute logits for the last N positions only (transformers' <c>logits_to_keep</c>); 0 keeps all. Generation
    /// needs only the last position, and a prompt's full <c>[B, T, V]</c> logits are large (2,048 tokens × a 32k
    /// vocabulary is 256 MB per row in float32).
    /// </param>
    /// <returns>Logits <c>[B, T, V]</c> (<c>[B, N, V]</c> with <paramref name="logitsToKeep"/>) in the model dtype; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentException">A shape does not match, or <paramref name="logitsToKeep"/> is negative.</exception>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache, long logitsToKeep = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(logitsToKeep);
        using var scope = NewDisposeScope();
        Tensor hidden = Hidden(inputIds, attentionMask, positionIds, cache); // [B, T, H]
        long length = inputIds.shape[1];
        if (logitsToKeep > 0 && logitsToKeep < length)
        {
            hidden = hidden.narrow(1, length - logitsToKeep, logitsToKeep); // [B, N, H]
        }

        return Head(hidden).MoveToOuterDisposeScope(); // [B, T, V]
    }

    /// <summary>The final norm and the LM head: logits <c>[..., V]</c> of hidden states <c>[..., H]</c>.</summary>
    private Tensor Head(Tensor hidden)
    {
        Tensor normed = body.Norm.forward(hidden);
        return lmHead is null ? nn.functional.linear(normed, body.EmbedTokens.Weight) : lmHead.forward(normed);
    }

    /// <summary>The embeddings and the decoder layers: the last layer's hidden states <c>[B, T, H]</c>, before the final norm.</summary>
    private Tensor Hidden(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.dim() != 2)
        {
            throw new ArgumentException($"inputIds must be [B, T]; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        }

        if (inputIds.dtype is not (ScalarType.Int64 or ScalarType.Int32))
        {
            throw new ArgumentException($"inputIds must be int64 or int32; got {inputIds.dtype}.", nameof(inputIds));
        }

        long batch = inputIds.shape[0];
        long length = inputIds.shape[1];
        long pastLength = cache?.Length ?? 0;
        if (cache is not null && cache.LayerCount != Config.NumHiddenLayers)
        {
            throw new ArgumentException($"The cache has {cache.LayerCount} layers but the model has {Config.NumHiddenLayers}.", nameof(cache));
        }

        if (attentionMask is not null && !IsValidMaskShape(attentionMask, batch, length, pastLength + length))
        {
            throw new ArgumentException(
                $"attentionMask must be [B, cached + T] = [{batch}, {pastLength + length}] or [B, T, cached + T] = [{batch}, {length}, {pastLength + length}]; " +
                $"got [{string.Join(", ", attentionMask.shape)}].", nameof(attentionMask));
        }

        if (positionIds is not null && (positionIds.dim() != 2 || positionIds.shape[0] != batch || positionIds.shape[1] != length))
        {
            throw new ArgumentException(
                $"positionIds must be [B, T] = [{batch}, {length}]; got [{string.Join(", ", positionIds.shape)}].", nameof(positionIds));
        }

        using var scope = NewDisposeScope();
        Device device = Device;
        Tensor ids = inputIds.to(ScalarType.Int64, device);
        Tensor positions = positionIds?.to(ScalarType.Int64, device)
            ?? arange(pastLength, pastLength + length, ScalarType.Int64, device).unsqueeze(0).expand(batch, length); // [B, T]

        Tensor hidden = body.EmbedTokens.forward(ids); // [B, T, H]
        var (cos, sin) = rotary.Angles(positions, hidden.dtype); // [B, T, d]
        bool recompute = GradientCheckpointing && training && cache is null && is_grad_enabled();

        // One mask per distinct window: Qwen-style configs mix full and sliding layers. Null is plain causal (is_causal).
        var masks = new Dictionary<int, Tensor?>();
        for (int i = 0; i < body.Layers.Count; i++)
        {
            DecoderLayer layer = body.Layers[i];
            int windowKey = layer.SlidingWindow ?? 0;
            if (!masks.TryGetValue(windowKey, out Tensor? mask))
            {
                mask = AttentionMask.Build(attentionMask, batch, length, pastLength, layer.SlidingWindow, hidden.dtype, device); // [B, 1, T, S] or null
                masks[windowKey] = mask;
            }

            hidden = recompute
                ? CheckpointedLayer.Run(layer, hidden, cos, sin, mask)
                : layer.Forward(hidden, cos, sin, mask, cache?[i]);
        }

        return hidden.MoveToOuterDisposeScope();
    }

    private static bool IsValidMaskShape(Tensor mask, long batch, long queryLength, long keyLength) => mask.dim() switch
    {
        2 => mask.shape[0] == batch && mask.shape[1] == keyLength,
        3 => mask.shape[0] == batch && mask.shape[1] == queryLength && mask.shape[2] == keyLength,
        _ => false,
    };

    /// <summary>Creates an empty key/value cache sized for this model's layers.</summary>
    public KeyValueCache CreateCache() => new(Config.NumHiddenLayers);

    /// <inheritdoc />
    public IEnumerable<(string Name, Parameter Parameter)> NamedTrainableParameters()
        => named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter));

    /// <inheritdoc />
    public void MoveTo(Device device, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (dtype is { } type)
        {
            if (!SafeTensorsDTypes.IsFloating(type))
            {
                throw new ArgumentException($"A model dtype must be floating point; got {type}.", nameof(dtype));
            }

            this.to(device, type);
        }
        else
        {
            this.to(device);
        }
    }

    /// <inheritdoc />
    public void SetTrainingMode(bool training) => train(training);

    /// <inheritdoc />
    public void Save(string directory) => PretrainedModel.Save(this, directory);

    /// <inheritdoc />
    public void ReloadWeights(string directory) => PretrainedModel.ReloadWeights(this, directory);

    /// <inheritdoc />
    public ILoraModel AddLoraAdapters(LoraConfig config, long seed, bool ownsModel) => LoraModel.Create(this, config, seed, ownsModel);

    /// <inheritdoc />
    public ILoraModel LoadLoraAdapters(string adapterDirectory, bool isTrainable, bool ownsModel)
        => LoraModel.Load(this, adapterDirectory, isTrainable, ownsModel);

    /// <summary>Whether training passes mark the embeddings as requiring a gradient (see <see cref="TokenEmbedding.RequireOutputGrad"/>).</summary>
    internal bool RequireEmbeddingGrad
    {
        get => body.EmbedTokens.RequireOutputGrad;
        set => body.EmbedTokens.RequireOutputGrad = value;
    }

    /// <summary>Every linear layer with its module name (<c>model.layers.0.self_attn.q_proj</c>, …, <c>lm_head</c>), in model order.</summary>
    internal IEnumerable<(string Name, Projection Projection)> NamedProjections()
        => named_modules().Where(m => m.module is Projection).Select(m => (m.name, (Projection)m.module));

    /// <inheritdoc />
    /// <remarks>The configuration as <c>config.json</c> writes it (keys sorted, unknown keys kept).</remarks>
    public string ArchitectureDescription => Config.ToJson();

    /// <inheritdoc />
    public object? GetService(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        return serviceType == typeof(TransformerConfig) ? Config : null;
    }
}
