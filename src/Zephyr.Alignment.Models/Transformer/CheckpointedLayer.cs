using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Gradient checkpointing of one decoder layer (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost"),
/// as PyTorch's reentrant <c>torch.utils.checkpoint</c> does it, through TorchSharp's custom autograd function:
/// the forward pass runs without recording a graph and keeps only the layer's input; the backward pass recomputes the
/// layer with the graph on, back-propagates the incoming gradient through it (which accumulates the layer's parameter
/// gradients directly) and returns the input's gradient.
/// </summary>
/// <remarks>
/// <para>
/// Arguments of <see cref="autograd.SingleTensorFunction{T}.apply"/>: hidden <c>[B, T, H]</c>, cos, sin, mask (may be
/// null), the <see cref="DecoderLayer"/>, then the layer's trainable parameters. The parameters are passed only so the
/// function takes part in the graph when the hidden state itself needs no gradient (the first layer of a LoRA model
/// with frozen embeddings, which transformers works around with <c>enable_input_require_grads</c>); their gradients
/// come from the inner backward pass, so the function returns none for them.
/// </para>
/// <para>
/// Randomness is replayed: when the layer draws random numbers (attention dropout), the CPU generator's state is
/// saved before the forward pass and restored around the recomputation, so the same dropout masks are drawn and the
/// stream continues as if the layer had run once. TorchSharp cannot read a CUDA generator's state, so on CUDA the
/// layer's forward and its recomputation are both seeded from a number drawn from the CPU generator.
/// </para>
/// </remarks>
internal sealed class CheckpointedLayer : autograd.SingleTensorFunction<CheckpointedLayer>
{
    private const string LayerKey = "layer";
    private const string CudaSeedKey = "cuda_seed";
    private const string ArgumentCountKey = "arguments";

    private static long recomputations;

    /// <inheritdoc />
    public override string Name => "CheckpointedDecoderLayer";

    /// <summary>Layers recomputed in backward passes since the process started (a diagnostic: proof the path ran).</summary>
    internal static long Recomputations => Interlocked.Read(ref recomputations);

    /// <summary>Runs <paramref name="layer"/> on <paramref name="hidden"/>, to be recomputed in the backward pass.</summary>
    public static Tensor Run(DecoderLayer layer, Tensor hidden, Tensor cos, Tensor sin, Tensor? mask)
    {
        Parameter[] trainable = [.. layer.parameters().Where(p => p.requires_grad)];
        object?[] arguments = [hidden, cos, sin, mask, layer, .. trainable];
        return apply(arguments!);
    }

    /// <inheritdoc />
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var layer = (DecoderLayer)vars[4];
        var hidden = (Tensor)vars[0];
        var cos = (Tensor)vars[1];
        var sin = (Tensor)vars[2];
        var mask = vars[3] as Tensor;
        Tensor? rngState = null;
        if (layer.IsStochastic)
        {
            if (hidden.device.type == DeviceType.CUDA)
            {
                long seed = randint(long.MaxValue, [1], ScalarType.Int64).item<long>();
                ctx.save_data(CudaSeedKey, seed);
                cuda.manual_seed(seed);
            }
            else
            {
                rngState = random.get_rng_state();
            }
        }

        ctx.save_data(LayerKey, layer);
        ctx.save_data(ArgumentCountKey, vars.Length);
        ctx.save_for_backward([hidden, cos, sin, mask!, rngState!]);
        return layer.Forward(hidden, cos, sin, mask, cache: null);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var layer = (DecoderLayer)ctx.get_data(LayerKey);
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor hidden = saved[0], cos = saved[1], sin = saved[2];
        Tensor? mask = saved[3], rngState = saved[4];
        Tensor? inputGradient = null;
        using (var scope = NewDisposeScope())
        {
            Tensor input = hidden.detach().requires_grad_(hidden.requires_grad);
            Tensor? streamState = null;
            if (rngState is not null)
            {
                streamState = random.get_rng_state();
                random.set_rng_state(rngState);
            }
            else if (ctx.get_data(CudaSeedKey) is long seed)
            {
                cuda.manual_seed(seed);
            }

            Tensor output;
            Interlocked.Increment(ref recomputations);
            using (enable_grad())
            {
                output = layer.Forward(input, cos, sin, mask, cache: null);
            }

            if (streamState is not null)
            {
                random.set_rng_state(streamState);
            }

            // Reentrant backward: accumulates the parameters' gradients and the input's, as torch.utils.checkpoint does.
            autograd.backward([output], [grad_output]);
            if (hidden.requires_grad)
            {
                inputGradient = input.grad!.MoveToOuterDisposeScope();
            }
        }

        // One gradient per argument: the hidden state's, none for cos, sin, mask, the layer and the parameters.
        var gradients = new List<Tensor>((int)ctx.get_data(ArgumentCountKey)) { inputGradient! };
        while (gradients.Count < gradients.Capacity)
        {
            gradients.Add(null!);
        }

        return gradients;
    }
}
