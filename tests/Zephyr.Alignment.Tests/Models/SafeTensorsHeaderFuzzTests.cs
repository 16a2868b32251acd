using System.Buffers.Binary;
using System.Text;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>
/// Corrupt safetensors headers that are still JSON (wrong types) or not UTF-8 give a <see cref="CheckpointException"/>
/// naming the file, like every other header fault; never a bare .NET exception.
/// </summary>
public sealed class SafeTensorsHeaderFuzzTests
{
    private const string ValidHeader =
        "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}";

    public SafeTensorsHeaderFuzzTests() => TorchRuntime.EnsureInitialized();

    public static TheoryData<string, byte[]> WrongTypes() => new()
    {
        { "data_offsets as strings", Utf8(ValidHeader.Replace("[0,8]", "[\"0\",\"8\"]", StringComparison.Ordinal)) },
        { "data_offsets as floats", Utf8(ValidHeader.Replace("[0,8]", "[0.5,8]", StringComparison.Ordinal)) },
        { "data_offsets null", Utf8(ValidHeader.Replace("[0,8]", "null", StringComparison.Ordinal)) },
        { "data_offsets of objects", Utf8(ValidHeader.Replace("[0,8]", "[{},{}]", StringComparison.Ordinal)) },
        { "shape as strings", Utf8(ValidHeader.Replace("\"shape\":[2]", "\"shape\":[\"2\"]", StringComparison.Ordinal)) },
        { "shape as a number", Utf8(ValidHeader.Replace("\"shape\":[2]", "\"shape\":2", StringComparison.Ordinal)) },
        { "dtype as a number", Utf8(ValidHeader.Replace("\"F32\"", "32", StringComparison.Ordinal)) },
        { "entry as a string", Utf8("{\"a\":\"F32\"}") },
        { "metadata value as a number", Utf8(ValidHeader.Replace("\"pt\"", "1", StringComparison.Ordinal)) },
        { "root as an array", Utf8("[1,2]") },
        { "huge offsets", Utf8(ValidHeader.Replace("[0,8]", "[0,1e300]", StringComparison.Ordinal)) },
        { "invalid UTF-8 in a tensor name", [.. Utf8("{\""), 0xC3, 0x28, .. Utf8("\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}")] },
        { "invalid UTF-8 in a metadata value", [.. Utf8("{\"__metadata__\":{\"format\":\""), 0xFF, 0xFE, .. Utf8("\"}}")] },
        { "a lone surrogate escape", Utf8(ValidHeader.Replace("\"a\":", "\"\\ud800\":", StringComparison.Ordinal)) },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void A_header_with_wrong_types_or_bad_utf8_is_a_checkpoint_error_naming_the_file(string corruption, byte[] header)
    {
        using var scratch = new CheckpointScratch();
        string path = Write(scratch, "corrupt", header);

        var error = Assert.Throws<CheckpointException>(() => Open(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(corruption));
    }

    [Fact]
    public void Random_byte_corruptions_of_a_header_open_or_fail_with_a_checkpoint_error_naming_the_file()
    {
        using var scratch = new CheckpointScratch();
        byte[] valid = Utf8(ValidHeader);
        var random = new Random(13);
        int failures = 0;
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] header = [.. valid];
            for (int flips = random.Next(1, 4); flips > 0; flips--)
            {
                header[random.Next(header.Length)] = (byte)random.Next(256);
            }

            string path = Write(scratch, $"fuzz{trial}", header);
            Exception? error = Record.Exception(() => Open(path));
            if (error is not null)
            {
                // Anything else (InvalidOperationException, ArgumentException, ...) would reach the CLI as exit 1.
                CheckpointException named = Assert.IsType<CheckpointException>(error);
                Assert.Contains(path, named.Message, StringComparison.Ordinal);
                failures++;
            }
        }

        Assert.True(failures > 150, $"only {failures} of 200 corruptions were rejected");
    }

    private static void Open(string path)
    {
        using SafeTensorsReader reader = SafeTensorsReader.Open(path);
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Write(CheckpointScratch scratch, string name, byte[] header)
    {
        string path = scratch.PathOf(name + ".safetensors");
        using var stream = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        stream.Write(new byte[16]);
        return path;
    }
}
