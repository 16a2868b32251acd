using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Zephyr.Alignment.Data;

/// <summary>Reads JSON Lines one line at a time.</summary>
internal static class JsonLinesRecordReader
{
    internal static async IAsyncEnumerable<DatasetRecord> ReadAsync(Stream stream, string filePath, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        long line = 0;
        bool any = false;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            any = true;
            yield return Parse(filePath, line, text);
        }

        if (!any)
        {
            throw new DatasetFormatException(filePath, "empty dataset: the file contains no records");
        }
    }

    internal static async Task<long> CountLinesAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        long count = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            if (!string.IsNullOrWhiteSpace(text))
            {
                count++;
            }
        }

        return count;
    }

    private static DatasetRecord Parse(string filePath, long line, string text)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new DatasetRecord(new DatasetFormatException(
                    filePath, row: null, line, field: null, $"expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}"));
            }

            // Clone detaches the element from the pooled document, which is disposed here.
            return new DatasetRecord(filePath, line, root.Clone());
        }
        catch (JsonException ex)
        {
            return new DatasetRecord(new DatasetFormatException(filePath, row: null, line, field: null, $"invalid JSON ({ex.Message})", ex));
        }
    }
}
