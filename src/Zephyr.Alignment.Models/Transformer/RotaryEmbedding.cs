using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Rotary position embeddings (Su et al. 2021, RoFormer) in the Hugging Face layout: the head is split in two halves
/// that rotate together (<c>rotate_half</c>), not interleaved pairs; frequencies <c>1 / θ^(2i/d)</c> with <c>d = head_dim</c>,
/// rescaled by the config's RoPE type as transformers' <c>modeling_rope_utils.py</c> does (<see cref="RopeScaling"/>).
/// </summary>
/// <remarks>
/// Every frequency is computed with torch in float32 in the same order of operations as transformers, so the angles
/// match it bit for bit or within an ulp. <c>dynamic</c> recomputes the frequencies from the largest position of each call
/// once it exceeds <c>max_position_embeddings</c>. transformers does the same but remembers the longest length seen
/// until a call shorter than <c>max_position_embeddings</c> resets it; the two agree for a single pass and for generation
/// (positions only grow), and here the result of a call never depends on earlier calls.
/// </remarks>
internal sealed class RotaryEmbedding
{
    private readonly float[] inverseFrequencies;
    private readonly RopeScaling scaling;
    private readonly int headDim;
    private readonly double theta;
    private readonly int maxPositionEmbeddings;

    public RotaryEmbedding(TransformerConfig config)
    {
        scaling = config.ResolvedRopeScaling;
        headDim = config.ResolvedHeadDim;
        theta = config.ResolvedRopeTheta;
        maxPositionEmbeddings = config.MaxPositionEmbeddings;
        inverseFrequencies = InitialFrequencies();
        AttentionScaling = scaling.AttentionScaling;
    }

    /// <summary>The factor cos and sin are multiplied by (transformers' <c>attention_scaling</c>); 1 except for yarn.</summary>
    public double AttentionScaling { get; }

    /// <summary>The inverse frequencies <c>[d/2]</c> used for a call whose largest position is <paramref name="sequenceLength"/> - 1.</summary>
    public float[] InverseFrequencies(long sequenceLength)
        => scaling.Type == "dynamic" && sequenceLength > maxPositionEmbeddings ? DynamicFrequencies(sequenceLength) : inverseFrequencies;

    /// <summary>
    /// The cosines and sines for the given positions, <c>[B, T, d]</c> each, in <paramref name="dtype"/>.
    /// </summary>
    /// <param name="positionIds">Positions <c>[B, T]</c>, int64.</param>
    /// <param name="dtype">The activation dtype the angles are applied in.</param>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        float[] frequencies = scaling.Type == "dynamic" && positionIds.numel() > 0
            ? InverseFrequencies(positionIds.max().item<long>() + 1)
            : inverseFrequencies;
        Tensor inverse = tensor(frequencies, ScalarType.Float32, positionIds.device); // [d/2]

        // Angles in float32 whatever the model dtype: bf16 positions above 256 are not even exact integers
        // (transformers PR #29285 forced float32 here for the same reason).
        Tensor freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverse; // [B, T, d/2]
        Tensor angles = cat([freqs, freqs], -1); // [B, T, d]
        Tensor cos = angles.cos();
        Tensor sin = angles.sin();
        if (AttentionScaling != 1.0)
        {
            // yarn's attention factor scales cos and sin in float32, before the cast (so q·k grows by its square).
            cos *= AttentionScaling;
            sin *= AttentionScaling;
        }

        return (cos.to(dtype).MoveToOuterDisposeScope(), sin.to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Rotates queries or keys <c>[B, heads, T, d]</c> by angles <c>[B, T, d]</c>.</summary>
    public static Tensor Apply(Tensor states, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = states.shape[^1] / 2;
        Tensor first = states.narrow(-1, 0, half);
        Tensor second = states.narrow(-1, half, half);
        Tensor rotated = cat([-second, first], -1); // rotate_half
        Tensor result = states * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary><c>arange(0, d, 2) / d</c> in float32: the exponents of the base.</summary>
    private Tensor Exponents() => arange(0, headDim, 2, ScalarType.Int64).to(ScalarType.Float32) / headDim; // [d/2]

    /// <summary><c>1 / base^(2i/d)</c> in float32 (<c>_compute_default_rope_parameters</c>).</summary>
    private Tensor DefaultFrequencies(Tensor baseValue) => 1.0f / pow(baseValue, Exponents());

    private float[] InitialFrequencies()
    {
        using var scope = NewDisposeScope();
        Tensor frequencies = scaling.Type switch
        {
            // _compute_linear_scaling_rope_parameters: interpolating positions by 1/factor is dividing the frequencies.
            "linear" => DefaultFrequencies(tensor(theta, ScalarType.Float32)) / scaling.Factor,
            "yarn" => YarnFrequencies(),
            "llama3" => Llama3Frequencies(),

            // default, and dynamic below max_position_embeddings (its base formula gives theta itself there).
            _ => DefaultFrequencies(tensor(theta, ScalarType.Float32)),
        };
        return frequencies.data<float>().ToArray();
    }

    /// <summary>
    /// <c>_compute_dynamic_ntk_parameters</c> with a tensor sequence length, as its forward-time update calls it:
    /// <c>base · (factor·L/max − (factor − 1))^(d/(d−2))</c>, all in float32.
    /// </summary>
    private float[] DynamicFrequencies(long sequenceLength)
    {
        using var scope = NewDisposeScope();
        double factor = scaling.Factor;
        Tensor length = tensor(sequenceLength, ScalarType.Int64);
        Tensor growth = (length * factor / maxPositionEmbeddings - (factor - 1)).pow(headDim / (double)(headDim - 2)); // 0-dim float32
        Tensor baseValue = growth * theta;
        return DefaultFrequencies(baseValue).data<float>().ToArray();
    }

    /// <summary>
    /// <c>_compute_llama3_parameters</c> (Llama 3.1): wavelengths below <c>original/high_freq_factor</c> are kept, those above
    /// <c>original/low_freq_factor</c> are divided by the factor, and the band between is interpolated smoothly.
    /// </summary>
    private Tensor Llama3Frequencies()
    {
        double factor = scaling.Factor;
        double low = scaling.LowFrequencyFactor;
        double high = scaling.HighFrequencyFactor;
        double oldContext = scaling.OriginalMaxPositionEmbeddings;
        double lowFrequencyWavelength = oldContext / low;
        double highFrequencyWavelength = oldContext / high;

        Tensor inverse = DefaultFrequencies(tensor(theta, ScalarType.Float32)); // [d/2]

        // Python's `2 * math.pi / inv_freq` is Tensor.__rtruediv__, which is reciprocal() * scalar.
        Tensor wavelength = inverse.reciprocal() * (2 * Math.PI);
        Tensor scaled = where(wavelength > lowFrequencyWavelength, inverse / factor, inverse);
        Tensor smooth = (wavelength.reciprocal() * oldContext - low) / (high - low);
        Tensor smoothed = (1 - smooth) * scaled / factor + smooth * scaled;
        Tensor isMedium = (wavelength < highFrequencyWavelength).logical_not().logical_and((wavelength > lowFrequencyWavelength).logical_not());
        return where(isMedium, smoothed, scaled);
    }

    /// <summary>
    /// <c>_compute_yarn_parameters</c> (YaRN, Peng et al. 2023, Eq. 18–20): frequencies that rotate more than
    /// <c>beta_fast</c> times over the original context are extrapolated (kept), those under <c>beta_slow</c> interpolated
    /// (divided by the factor), with a linear ramp between the two correction dimensions.
    /// </summary>
    private Tensor YarnFrequencies()
    {
        double factor = scaling.Factor;
        int original = scaling.OriginalMaxPositionEmbeddings;
        Tensor positionFrequencies = pow(tensor(theta, ScalarType.Float32), arange(0, headDim, 2, ScalarType.Int64).to(ScalarType.Float32) / headDim);
        Tensor extrapolation = 1.0f / positionFrequencies;
        Tensor interpolation = 1.0f / (positionFrequencies * factor);

        double CorrectionDimension(double rotations)
            => headDim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));

        double lowDim = CorrectionDimension(scaling.BetaFast);
        double highDim = CorrectionDimension(scaling.BetaSlow);
        if (scaling.Truncate)
        {
            lowDim = Math.Floor(lowDim);
            highDim = Math.Ceiling(highDim);
        }

        lowDim = Math.Max(lowDim, 0);
        highDim = Math.Min(highDim, headDim - 1);
        if (lowDim == highDim)
        {
            highDim += 0.001; // transformers: "prevent singularity"
        }

        Tensor ramp = ((arange(headDim / 2, ScalarType.Float32) - lowDim) / (highDim - lowDim)).clamp(0, 1);
        Tensor extrapolationFactor = 1 - ramp;
        return interpolation * (1 - extrapolationFactor) + extrapolation * extrapolationFactor;
    }
}
