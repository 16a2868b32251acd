using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using Zephyr.Alignment.IO;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Writes <c>.safetensors</c> files: the 8-byte little-endian header length, a compact JSON header (with
/// <c>__metadata__</c> first, tensors sorted by name, space-padded to a multiple of 8 bytes as the reference
/// implementation does), then each tensor's raw little-endian bytes in header order.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes tensors to <paramref name="path"/> through a temporary file in the same folder that is moved into place
    /// when complete, so a crash never leaves a half-written file under the final name.
    /// </summary>
    /// <param name="path">The destination file; an existing one is replaced.</param>
    /// <param name="tensors">Named tensors on any device, in a dtype safetensors supports; each is copied to the CPU one at a time.</param>
    /// <param name="metadata">The header's <c>__metadata__</c>; <see langword="null"/> writes <c>{"format": "pt"}</c>, as Hugging Face does.</param>
    /// <exception cref="ArgumentException">Two tensors share a name.</exception>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        => Write(path, tensors, metadata, substitute: null);

    /// <summary>
    /// <see cref="Write(string, IEnumerable{ValueTuple{string, Tensor}}, IReadOnlyDictionary{string, string}?)"/>, storing
    /// <paramref name="substitute"/>(name, tensor) instead of each tensor when given: computed one at a time while
    /// writing (for example a merged weight), so such tensors never exist all at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">A substitute's shape or dtype differs from the tensor it replaces.</exception>
    internal static void Write(
        string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata, Func<string, Tensor, Tensor>? substitute)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensors);
        TensorBytes.RequireLittleEndian();

        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Name == ordered[i - 1].Name)
            {
                throw new ArgumentException($"Two tensors are named '{ordered[i].Name}'.", nameof(tensors));
            }
        }

        byte[] header = BuildHeader(ordered, metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (name, tensor) in ordered)
            {
                using var scope = NewDisposeScope();
                Tensor stored = substitute is null ? tensor : substitute(name, tensor);
                if (stored.dtype != tensor.dtype || !stored.shape.SequenceEqual(tensor.shape))
                {
                    throw new InvalidOperationException(
                        $"The tensor stored for '{name}' is {stored.dtype} [{string.Join(", ", stored.shape)}]; the header says {tensor.dtype} [{string.Join(", ", tensor.shape)}].");
                }

                // The bytes are read from host memory in the stored layout, so a CPU, contiguous copy is needed.
                Tensor host = stored.detach().cpu().contiguous();
                TensorBytes.Write(host, stream);
            }
        });
    }

    private static byte[] BuildHeader(List<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                long bytes = tensor.NumberOfElements * tensor.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsDTypes.NameOf(tensor.dtype));
                json.WriteStartArray("shape");
                foreach (long size in tensor.shape)
                {
                    json.WriteNumberValue(size);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }

            json.WriteEndObject();
        }

        // Pad with spaces so the data section starts 8-byte aligned, which lets readers map tensors in place.
        int padding = (int)((8 - (buffer.Length % 8)) % 8);
        buffer.Write(Encoding.ASCII.GetBytes(new string(' ', padding)));
        return buffer.ToArray();
    }
}
