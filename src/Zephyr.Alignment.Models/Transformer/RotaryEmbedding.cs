using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Rotary position embeddings (Su et al. 2021, RoFormer) in the Hugging Face layout: the head is split in two halves
/// that rotate together (<c>rotate_half</c>), not interleaved pairs; frequencies <c>1 / θ^(2i/d)</c> with <c>d = head_dim</c>.
/// </summary>
internal sealed class RotaryEmbedding
{
    private readonly float[] inverseFrequencies;

    public RotaryEmbedding(int headDim, double theta)
    {
        using var scope = NewDisposeScope();

        // Computed once with torch in float32, exactly as transformers does, so the angles match bit for bit.
        Tensor exponents = arange(0, headDim, 2, ScalarType.Int64).to(ScalarType.Float32) / headDim; // [d/2]
        Tensor frequencies = 1.0f / pow(tensor(theta, ScalarType.Float32), exponents);
        inverseFrequencies = frequencies.data<float>().ToArray();
    }

    /// <summary>
    /// The cosines and sines for the given positions, <c>[B, T, d]</c> each, in <paramref name="dtype"/>.
    /// </summary>
    /// <param name="positionIds">Positions <c>[B, T]</c>, int64.</param>
    /// <param name="dtype">The activation dtype the angles are applied in.</param>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positionIds, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        Tensor inverse = tensor(inverseFrequencies, ScalarType.Float32, positionIds.device); // [d/2]

        // Angles in float32 whatever the model dtype: bf16 positions above 256 are not even exact integers
        // (transformers PR #29285 forced float32 here for the same reason).
        Tensor freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverse; // [B, T, d/2]
        Tensor angles = cat([freqs, freqs], -1); // [B, T, d]
        Tensor cos = angles.cos().to(dtype);
        Tensor sin = angles.sin().to(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
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
}
