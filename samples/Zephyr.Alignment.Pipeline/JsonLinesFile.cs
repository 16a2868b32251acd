using System.Text;
using System.Text.Json;

namespace Zephyr.Alignment.Pipeline;

/// <summary>Writes JSON Lines files atomically (a temporary name moved into place when complete).</summary>
internal static class JsonLinesFile
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one JSON object per line.</summary>
    public static void Write<T>(string path, IEnumerable<T> rows)
    {
        string temporary = path + ".tmp";
        using (var writer = new StreamWriter(temporary, append: false, new UTF8Encoding(false)))
        {
            foreach (T row in rows)
            {
                writer.WriteLine(JsonSerializer.Serialize(row, Options));
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes lines that are already encoded (each with its newline) atomically.</summary>
    public static void WriteBytes(string path, IEnumerable<byte[]> lines)
    {
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            foreach (byte[] line in lines)
            {
                file.Write(line);
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Writes a text file atomically.</summary>
    public static void WriteText(string path, string text)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text, new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }
}
