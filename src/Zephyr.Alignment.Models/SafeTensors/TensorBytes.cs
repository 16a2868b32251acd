using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>Copies raw little-endian bytes between streams and CPU tensors, in chunks (a span holds at most 2 GiB).</summary>
internal static class TensorBytes
{
    private const long ChunkBytes = 1L << 30;

    /// <summary>Copies one chunk of a tensor's bytes between the tensor and a stream.</summary>
    private delegate void ChunkCopy(Stream stream, Span<byte> chunk);

    /// <summary>Fills a contiguous CPU tensor from <paramref name="source"/>.</summary>
    public static void Fill(Tensor destination, Stream source) =>
        CopyInChunks(destination, source, static (stream, chunk) => stream.ReadExactly(chunk));

    /// <summary>Writes a contiguous CPU tensor's bytes to <paramref name="destination"/>.</summary>
    public static void Write(Tensor source, Stream destination) =>
        CopyInChunks(source, destination, static (stream, chunk) => stream.Write(chunk));

    /// <summary>Throws on big-endian machines: safetensors data is little-endian and is copied without swapping.</summary>
    public static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is big-endian.");
        }
    }

    /// <summary>Hands <paramref name="copy"/> the tensor's bytes in order, in whole elements of at most <see cref="ChunkBytes"/>.</summary>
    private static void CopyInChunks(Tensor tensor, Stream stream, ChunkCopy copy)
    {
        using var scope = NewDisposeScope();
        Tensor flat = tensor.view(-1);
        long elementSize = tensor.ElementSize;
        long elementsPerChunk = Math.Max(1, ChunkBytes / elementSize);
        for (long start = 0; start < flat.shape[0]; start += elementsPerChunk)
        {
            long count = Math.Min(elementsPerChunk, flat.shape[0] - start);
            Tensor chunk = flat.narrow(0, start, count);
            copy(stream, chunk.bytes);
        }
    }
}
