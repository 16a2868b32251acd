using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>Copies raw little-endian bytes between streams and CPU tensors, in chunks (a span holds at most 2 GiB).</summary>
internal static class TensorBytes
{
    private const long ChunkBytes = 1L << 30;

    /// <summary>Fills a contiguous CPU tensor from <paramref name="source"/>.</summary>
    public static void Fill(Tensor destination, Stream source)
    {
        using var scope = NewDisposeScope();
        Tensor flat = destination.view(-1);
        long elementSize = destination.ElementSize;
        long elementsPerChunk = Math.Max(1, ChunkBytes / elementSize);
        for (long start = 0; start < flat.shape[0]; start += elementsPerChunk)
        {
            long count = Math.Min(elementsPerChunk, flat.shape[0] - start);
            Tensor chunk = flat.narrow(0, start, count);
            source.ReadExactly(chunk.bytes);
        }
    }

    /// <summary>Writes a contiguous CPU tensor's bytes to <paramref name="destination"/>.</summary>
    public static void Write(Tensor source, Stream destination)
    {
        using var scope = NewDisposeScope();
        Tensor flat = source.view(-1);
        long elementSize = source.ElementSize;
        long elementsPerChunk = Math.Max(1, ChunkBytes / elementSize);
        for (long start = 0; start < flat.shape[0]; start += elementsPerChunk)
        {
            long count = Math.Min(elementsPerChunk, flat.shape[0] - start);
            Tensor chunk = flat.narrow(0, start, count);
            destination.Write(chunk.bytes);
        }
    }

    /// <summary>Throws on big-endian machines: safetensors data is little-endian and is copied without swapping.</summary>
    public static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is big-endian.");
        }
    }
}
