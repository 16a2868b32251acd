using System.Text;
using System.Text.Json;
using Zephyr.Alignment.IO;

namespace Zephyr.Alignment.Pipeline;

/// <summary>Writes the run's JSON Lines and text files atomically, through Core's <see cref="AtomicFile"/>.</summary>
internal static class JsonLinesFile
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>Writes one JSON object per line.</summary>
    public static void Write<T>(string path, IEnumerable<T> rows)
        => AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8, leaveOpen: true);
            foreach (T row in rows)
            {
                writer.WriteLine(JsonSerializer.Serialize(row, Options));
            }
        });

    /// <summary>Writes lines that are already encoded (each with its newline) atomically.</summary>
    public static void WriteBytes(string path, IEnumerable<byte[]> lines)
        => AtomicFile.Write(path, stream =>
        {
            foreach (byte[] line in lines)
            {
                stream.Write(line);
            }
        });

    /// <summary>Writes a text file atomically.</summary>
    public static void WriteText(string path, string text)
        => AtomicFile.Write(path, stream => stream.Write(Utf8.GetBytes(text)));
}
