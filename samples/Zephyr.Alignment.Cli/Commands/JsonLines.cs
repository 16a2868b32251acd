using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>Reads a JSON Lines file one object at a time, naming the file and line on any error.</summary>
internal static class JsonLines
{
    public static async IAsyncEnumerable<(int Line, JsonElement Value)> ReadAsync(FileInfo file, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            throw new CliInputException($"input file '{file.FullName}' does not exist");
        }

        using StreamReader reader = file.OpenText();
        int lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement value;
            try
            {
                using JsonDocument document = JsonDocument.Parse(line);
                value = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new CliInputException($"{file.Name}:{lineNumber}: invalid JSON ({e.Message})", e);
            }

            if (value.ValueKind != JsonValueKind.Object)
            {
                throw new CliInputException($"{file.Name}:{lineNumber}: expected a JSON object");
            }

            yield return (lineNumber, value);
        }
    }

    /// <summary>Writes one JSON object and a newline to <paramref name="output"/>.</summary>
    public static async Task WriteAsync(Stream output, Action<Utf8JsonWriter> writeObject, CancellationToken cancellationToken)
    {
        await using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writeObject(writer);
            writer.WriteEndObject();
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        output.WriteByte((byte)'\n');
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="ids"/> as the array property <paramref name="name"/>.</summary>
    public static void WriteIds(Utf8JsonWriter writer, string name, IEnumerable<int> ids)
    {
        writer.WriteStartArray(name);
        foreach (int id in ids)
        {
            writer.WriteNumberValue(id);
        }

        writer.WriteEndArray();
    }

    public static string RequireString(JsonElement value, string name, FileInfo file, int line)
        => value.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw new CliInputException($"{file.Name}:{line}: field '{name}' must be a string");

    public static long[] RequireIds(JsonElement value, string name, FileInfo file, int line, int vocabularySize)
    {
        if (!value.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Array)
        {
            throw new CliInputException($"{file.Name}:{line}: field '{name}' must be an array of token ids");
        }

        var ids = new long[e.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long id) || id < 0 || id >= vocabularySize)
            {
                throw new CliInputException($"{file.Name}:{line}: '{name}'[{i}] is not a token id in [0, {vocabularySize})");
            }

            ids[i++] = id;
        }

        return ids;
    }
}
