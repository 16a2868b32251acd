using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Reads a <c>.safetensors</c> file (an 8-byte little-endian header length, a JSON header, then raw little-endian
/// tensor data) one tensor at a time from a memory-mapped view, so a checkpoint never sits in memory twice.
/// </summary>
/// <remarks>
/// The header is checked completely when the file is opened: its length against the file size and
/// <see cref="MaxHeaderBytes"/> before anything is allocated, then its JSON, dtypes, shapes and offsets (each tensor's
/// byte range must match its shape and dtype, lie inside the file and overlap no other). Gaps between tensors are allowed.
/// </remarks>
public sealed class SafeTensorsReader : IDisposable
{
    /// <summary>The largest header accepted (100 MB); real headers are a few hundred kilobytes at most.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile? mappedFile;
    private readonly Dictionary<string, SafeTensorInfo> tensorsByName;
    private readonly long dataStart;
    private bool disposed;

    private SafeTensorsReader(string path, List<SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long dataStart, long dataLength)
    {
        FilePath = path;
        Tensors = tensors;
        Metadata = metadata;
        this.dataStart = dataStart;
        tensorsByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        if (dataLength > 0)
        {
            mappedFile = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        }
    }

    /// <summary>The file being read.</summary>
    public string FilePath { get; }

    /// <summary>The tensors in the header, in file order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> (e.g. <c>format: pt</c>); empty when absent.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens a file and checks its header.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <exception cref="CheckpointException">The file is missing, truncated, or its header is malformed; the message names the file and tensor.</exception>
    public static SafeTensorsReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        TensorBytes.RequireLittleEndian();
        if (!File.Exists(path))
        {
            throw new CheckpointException($"The safetensors file '{path}' does not exist.", path);
        }

        long fileLength;
        byte[] header;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            fileLength = stream.Length;
            if (fileLength < 8)
            {
                throw new CheckpointException(
                    $"'{path}' is truncated: {fileLength} bytes, shorter than the 8-byte header length of a safetensors file.", path);
            }

            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);

            // Both checks come before the header buffer exists, so a corrupt length cannot trigger a huge allocation.
            if (headerLength > MaxHeaderBytes)
            {
                throw new CheckpointException(
                    $"'{path}' declares a safetensors header of {headerLength} bytes, above the {MaxHeaderBytes}-byte limit; the file is corrupt or not safetensors.", path);
            }

            if (headerLength > (ulong)(fileLength - 8))
            {
                throw new CheckpointException(
                    $"'{path}' is truncated: its header length {headerLength} exceeds the {fileLength - 8} bytes after the length prefix.", path);
            }

            header = new byte[headerLength];
            stream.ReadExactly(header);
        }

        long dataStart = 8 + header.Length;
        long dataLength = fileLength - dataStart;
        var (tensors, metadata) = ParseHeader(path, header, dataLength);
        return new SafeTensorsReader(path, tensors, metadata, dataStart, dataLength);
    }

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => tensorsByName.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    /// <exception cref="CheckpointException">No tensor has that name.</exception>
    public SafeTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return tensorsByName.TryGetValue(name, out SafeTensorInfo? info)
            ? info
            : throw new CheckpointException($"'{FilePath}' has no tensor named '{name}'.", FilePath, name);
    }

    /// <summary>Reads a tensor into a new CPU tensor of its stored dtype. The caller owns the result.</summary>
    /// <param name="name">The tensor name.</param>
    public Tensor ReadTensor(string name)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        SafeTensorInfo info = GetInfo(name);
        Tensor result = empty(info.ShapeArray, info.DType, CPU);
        try
        {
            FillFromFile(info, result);
        }
        catch
        {
            result.Dispose();
            throw;
        }

        return result;
    }

    /// <summary>
    /// Copies a tensor into <paramref name="destination"/> (any device and floating dtype), converting as it goes.
    /// Only one tensor-sized staging buffer exists at a time, and none when the destination is a CPU tensor of the stored dtype.
    /// </summary>
    /// <param name="name">The tensor name.</param>
    /// <param name="destination">A tensor of the same shape; parameters are written without recording gradients.</param>
    /// <exception cref="CheckpointException">The shapes differ, or a floating tensor would go into an integer one or back.</exception>
    public void ReadInto(string name, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(disposed, this);
        SafeTensorInfo info = GetInfo(name);
        if (!info.Shape.SequenceEqual(destination.shape))
        {
            throw new CheckpointException(
                $"Tensor '{name}' in '{FilePath}' has shape [{string.Join(", ", info.Shape)}] but the model expects [{string.Join(", ", destination.shape)}].",
                FilePath, name);
        }

        if (SafeTensorsDTypes.IsFloating(info.DType) != SafeTensorsDTypes.IsFloating(destination.dtype))
        {
            throw new CheckpointException(
                $"Tensor '{name}' in '{FilePath}' is {info.DTypeName} but the model expects a {destination.dtype} tensor.", FilePath, name);
        }

        using var noGrad = no_grad();
        if (destination.device_type == DeviceType.CPU && destination.dtype == info.DType && destination.is_contiguous())
        {
            FillFromFile(info, destination);
            return;
        }

        using Tensor staging = ReadTensor(name);
        destination.copy_(staging);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!disposed)
        {
            mappedFile?.Dispose();
            disposed = true;
        }
    }

    private void FillFromFile(SafeTensorInfo info, Tensor destination)
    {
        if (info.ByteLength == 0)
        {
            return;
        }

        using MemoryMappedViewStream view = mappedFile!.CreateViewStream(dataStart + info.DataStart, info.ByteLength, MemoryMappedFileAccess.Read);
        TensorBytes.Fill(destination, view);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static (List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header, long dataLength)
    {
        // Checked up front: System.Text.Json reports bad UTF-8 inside a name only when the name is read, as a bare
        // InvalidOperationException.
        try
        {
            StrictUtf8.GetCharCount(header);
        }
        catch (DecoderFallbackException e)
        {
            throw new CheckpointException($"The safetensors header of '{path}' is not valid UTF-8 (byte {e.Index}).", path, null, e);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"The safetensors header of '{path}' is not valid JSON: {e.Message}", path, null, e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException($"The safetensors header of '{path}' is not a JSON object.", path);
            }

            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                    {
                        throw new CheckpointException($"The safetensors header of '{path}' lists '{property.Name}' twice.", path, property.Name);
                    }

                    if (property.Name == "__metadata__")
                    {
                        ReadMetadata(path, property.Value, metadata);
                        continue;
                    }

                    tensors.Add(ReadEntry(path, property.Name, property.Value, dataLength));
                }
            }
            catch (InvalidOperationException e)
            {
                // Valid UTF-8 can still escape to invalid UTF-16 ("\ud800"): the reader refuses the string when it is read.
                throw new CheckpointException($"The safetensors header of '{path}' holds a string that is not valid text: {e.Message}", path, null, e);
            }

            CheckNoOverlap(path, tensors);
            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new CheckpointException($"'__metadata__' in the safetensors header of '{path}' must be an object of strings.", path);
        }

        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw new CheckpointException($"'__metadata__.{entry.Name}' in the safetensors header of '{path}' must be a string.", path);
            }

            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static SafeTensorInfo ReadEntry(string path, string name, JsonElement entry, long dataLength)
    {
        CheckpointException Bad(string problem) => new($"Tensor '{name}' in '{path}': {problem}", path, name);

        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw Bad("the header entry is not an object.");
        }

        if (!entry.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
        {
            throw Bad("the header entry has no 'dtype' string.");
        }

        string dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDTypes.TryGet(dtypeName, out ScalarType dtype, out int elementSize))
        {
            throw Bad($"dtype '{dtypeName}' is not supported; supported: {string.Join(", ", SafeTensorsDTypes.Names)}.");
        }

        if (!entry.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
        {
            throw Bad("the header entry has no 'shape' array.");
        }

        var shape = new List<long>();
        long elementCount = 1;
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long size) || size < 0)
            {
                throw Bad($"shape {shapeElement.GetRawText()} must hold non-negative integers.");
            }

            shape.Add(size);
            try
            {
                elementCount = checked(elementCount * size);
            }
            catch (OverflowException)
            {
                throw Bad($"shape {shapeElement.GetRawText()} is too large.");
            }
        }

        // ValueKind first: TryGetInt64 throws, rather than answering false, on a string such as "0".
        if (!entry.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
        {
            throw Bad("the header entry has no 'data_offsets' pair of integers.");
        }

        if (begin < 0 || end < begin)
        {
            throw Bad($"data_offsets [{begin}, {end}] are not an ordered pair of non-negative offsets.");
        }

        if (end > dataLength)
        {
            throw Bad($"data_offsets [{begin}, {end}] point outside the file (its data section has {dataLength} bytes).");
        }

        long expectedBytes;
        try
        {
            expectedBytes = checked(elementCount * elementSize);
        }
        catch (OverflowException)
        {
            throw Bad($"shape {shapeElement.GetRawText()} is too large.");
        }

        if (expectedBytes != end - begin)
        {
            throw Bad($"shape [{string.Join(", ", shape)}] of {dtypeName} needs {expectedBytes} bytes but data_offsets [{begin}, {end}] cover {end - begin}.");
        }

        return new SafeTensorInfo(name, dtypeName, dtype, shape, begin, end - begin);
    }

    private static void CheckNoOverlap(string path, List<SafeTensorInfo> tensors)
    {
        SafeTensorInfo? previous = null;
        foreach (SafeTensorInfo tensor in tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataStart))
        {
            if (previous is not null && tensor.DataStart < previous.DataStart + previous.ByteLength)
            {
                throw new CheckpointException(
                    $"Tensor '{tensor.Name}' in '{path}' overlaps '{previous.Name}': bytes [{tensor.DataStart}, {tensor.DataStart + tensor.ByteLength}) " +
                    $"and [{previous.DataStart}, {previous.DataStart + previous.ByteLength}).",
                    path, tensor.Name);
            }

            previous = tensor;
        }
    }
}
