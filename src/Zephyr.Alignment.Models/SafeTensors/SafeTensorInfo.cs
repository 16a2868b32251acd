using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor name, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="DTypeName">The dtype as the header spells it (<c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>F64</c>, <c>I64</c>, <c>I32</c>).</param>
/// <param name="DType">The matching torch dtype.</param>
/// <param name="Shape">The tensor shape.</param>
/// <param name="DataStart">Start of the tensor's bytes, relative to the end of the header.</param>
/// <param name="ByteLength">Number of bytes: the product of the shape times the element size.</param>
public sealed record SafeTensorInfo(string Name, string DTypeName, ScalarType DType, IReadOnlyList<long> Shape, long DataStart, long ByteLength)
{
    /// <summary>The shape as a <c>long[]</c>, for torch factories.</summary>
    public long[] ShapeArray => [.. Shape];
}
