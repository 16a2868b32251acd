using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>The safetensors reader and writer follow the format spec and reject broken files with a named error.</summary>
public sealed class SafeTensorsTests
{
    public SafeTensorsTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Writer_output_reads_back_exactly_in_every_supported_dtype()
    {
        using var scratch = new CheckpointScratch();
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>
        {
            ("f32", randn(3, 5)),
            ("f16", randn(4, 2).to(ScalarType.Float16)),
            ("bf16", randn(7).to(ScalarType.BFloat16)),
            ("i64", arange(0, 6, ScalarType.Int64).reshape(2, 3)),
            ("i32", tensor(new[] { -1, 2, int.MaxValue })),
            ("empty", zeros([0, 4])),
        };
        string path = scratch.PathOf("all.safetensors");
        SafeTensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "x" });

        byte[] bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + headerLength) % 8);
        Assert.StartsWith("{\"__metadata__\":", Encoding.UTF8.GetString(bytes, 8, (int)headerLength));

        using var reader = SafeTensorsReader.Open(path);
        Assert.Equal("x", reader.Metadata["note"]);
        foreach (var (name, expected) in tensors)
        {
            using Tensor actual = reader.ReadTensor(name);
            Assert.True(ModelFixtures.BitEqual(expected, actual), name);
        }
    }

    [Fact]
    public void Hand_written_file_with_a_gap_between_tensors_is_read_correctly()
    {
        using var scratch = new CheckpointScratch();
        byte[] data = new byte[16];
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(0), 1.5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), -2f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(12), 7f);
        string path = WriteRaw(scratch, "gap", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[],"data_offsets":[12,16]}}""", data);

        using var reader = SafeTensorsReader.Open(path);
        using Tensor a = reader.ReadTensor("a");
        using Tensor b = reader.ReadTensor("b");
        Assert.Equal([1.5f, -2f], a.data<float>().ToArray());
        Assert.Equal(7f, b.item<float>());
        Assert.Empty(b.shape);
    }

    [Fact]
    public void File_shorter_than_the_length_prefix_is_truncated()
    {
        using var scratch = new CheckpointScratch();
        string path = scratch.PathOf("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));
        Assert.Contains("truncated", error.Message);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected_before_allocating()
    {
        using var scratch = new CheckpointScratch();
        string path = scratch.PathOf("long.safetensors");
        byte[] bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));
        Assert.Contains("exceeds", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Huge_header_length_is_rejected_by_the_cap_without_allocating_it()
    {
        using var scratch = new CheckpointScratch();
        string path = scratch.PathOf("huge.safetensors");
        byte[] bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        File.WriteAllBytes(path, bytes);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 1_000_000);
        Assert.Contains("limit", error.Message);
    }

    [Fact]
    public void Header_that_is_not_json_is_rejected()
    {
        using var scratch = new CheckpointScratch();
        string path = WriteRaw(scratch, "notjson", "{\"a\": {\"dtype\": \"F32\", ", []);
        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));
        Assert.Contains("not valid JSON", error.Message);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 16, "overlaps", "b")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, "outside the file", "a")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes", "a")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8, "dtype 'Q4' is not supported", "a")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "not an ordered pair", "a")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "non-negative", "a")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2]}}""", 8, "data_offsets", "a")]
    public void Malformed_entries_are_rejected_naming_the_tensor(string header, int dataBytes, string expectedText, string tensorName)
    {
        using var scratch = new CheckpointScratch();
        string path = WriteRaw(scratch, "bad", header, new byte[dataBytes]);
        var error = Assert.Throws<CheckpointException>(() => SafeTensorsReader.Open(path));
        Assert.Contains(expectedText, error.Message);
        Assert.Equal(tensorName, error.TensorName);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Reading_into_a_tensor_of_another_shape_fails_naming_the_tensor()
    {
        using var scratch = new CheckpointScratch();
        string path = WriteRaw(scratch, "shape", """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", new byte[8]);
        using var reader = SafeTensorsReader.Open(path);
        using Tensor destination = zeros(3);
        var error = Assert.Throws<CheckpointException>(() => reader.ReadInto("a", destination));
        Assert.Contains("shape [2]", error.Message);
        Assert.Equal("a", error.TensorName);
    }

    private static string WriteRaw(CheckpointScratch scratch, string name, string header, byte[] data)
    {
        string path = scratch.PathOf(name + ".safetensors");
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        stream.Write(length);
        stream.Write(headerBytes);
        stream.Write(data);
        return path;
    }
}
