using System.Text.Encodings.Web;
using System.Text.Json;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>
/// Writes <see cref="BinarizedPreference"/> rows in the <c>HuggingFaceH4/ultrafeedback_binarized</c> schema, as
/// Parquet (what the Hub serves) and as JSON Lines; both are read unchanged by the dDPO stage and by Python's
/// <c>datasets.load_dataset</c>.
/// </summary>
/// <remarks>
/// <para>Parquet schema, as pyarrow writes the Hub's files: <c>prompt</c> string, <c>prompt_id</c> string,
/// <c>chosen</c> / <c>rejected</c> / <c>messages</c> as <c>list&lt;element: struct&lt;content: string, role: string&gt;&gt;</c>,
/// <c>score_chosen</c> and <c>score_rejected</c> as float64.</para>
/// <para>JSON Lines: one object per line with the same keys in the same order, e.g.
/// <c>{"prompt":"Hi?","prompt_id":"…","chosen":[{"content":"Hi?","role":"user"},{"content":"Hello!","role":"assistant"}],"rejected":[…],"messages":[…],"score_chosen":4.5,"score_rejected":2.0}</c>.</para>
/// <para>Both files are written under a temporary name and moved into place.</para>
/// </remarks>
public static class UltraFeedbackBinarizedWriter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The Parquet schema of <c>ultrafeedback_binarized</c>.</summary>
    public static ParquetSchema Schema { get; } = new(
        new DataField<string>("prompt"),
        new DataField<string>("prompt_id"),
        Messages("chosen"),
        Messages("rejected"),
        Messages("messages"),
        new DataField<double>("score_chosen"),
        new DataField<double>("score_rejected"));

    /// <summary>Writes <c>{split}.parquet</c> and <c>{split}.jsonl</c> (e.g. <c>train_prefs</c>) into <paramref name="directory"/>.</summary>
    /// <param name="directory">The output folder (created when missing).</param>
    /// <param name="split">The file name without extension; <c>train_prefs</c> as on the Hub.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="cancellationToken">Stops the writing; the temporary files are removed.</param>
    /// <returns>The paths of the Parquet and JSON Lines files.</returns>
    public static async Task<(string Parquet, string JsonLines)> WriteAsync(string directory, string split, IReadOnlyCollection<BinarizedPreference> rows, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        string parquet = Path.Combine(directory, split + ".parquet");
        string jsonl = Path.Combine(directory, split + ".jsonl");
        await WriteParquetAsync(parquet, rows, cancellationToken).ConfigureAwait(false);
        await WriteJsonLinesAsync(jsonl, rows, cancellationToken).ConfigureAwait(false);
        return (parquet, jsonl);
    }

    /// <summary>Writes <paramref name="rows"/> to a Parquet file (one row group).</summary>
    /// <param name="path">The file.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="cancellationToken">Stops the writing.</param>
    public static Task WriteParquetAsync(string path, IReadOnlyCollection<BinarizedPreference> rows, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(rows);
        List<IDictionary<string, object?>> data = rows.Select(r => (IDictionary<string, object?>)ToParquetRow(r)).ToList();
        return AtomicFile.WriteAsync(path, (stream, ct) => ParquetSerializer.SerializeUntypedAsync(data, Schema, stream, cancellationToken: ct), cancellationToken);
    }

    /// <summary>Writes <paramref name="rows"/> to a JSON Lines file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="cancellationToken">Stops the writing.</param>
    public static Task WriteJsonLinesAsync(string path, IEnumerable<BinarizedPreference> rows, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(rows);
        return AtomicFile.WriteAsync(
            path,
            async (stream, ct) =>
            {
                foreach (BinarizedPreference row in rows)
                {
                    ct.ThrowIfCancellationRequested();
                    await using (var writer = new Utf8JsonWriter(stream, JsonOptions))
                    {
                        WriteJson(writer, row);
                    }

                    stream.WriteByte((byte)'\n');
                }
            },
            cancellationToken);
    }

    /// <summary>Writes one row as a JSON object with the Hub's keys.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="row">The row.</param>
    public static void WriteJson(Utf8JsonWriter writer, BinarizedPreference row)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(row);
        writer.WriteStartObject();
        writer.WriteString("prompt", row.Prompt);
        writer.WriteString("prompt_id", row.PromptId);
        WriteMessages(writer, "chosen", row.Chosen);
        WriteMessages(writer, "rejected", row.Rejected);
        WriteMessages(writer, "messages", row.Messages);
        writer.WriteNumber("score_chosen", row.ScoreChosen);
        writer.WriteNumber("score_rejected", row.ScoreRejected);
        writer.WriteEndObject();
    }

    private static void WriteMessages(Utf8JsonWriter writer, string name, IReadOnlyList<ConversationMessage> messages)
    {
        writer.WriteStartArray(name);
        foreach (ConversationMessage message in messages)
        {
            writer.WriteStartObject();
            writer.WriteString("content", message.Content);
            writer.WriteString("role", message.Role.ToWireName());
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static Dictionary<string, object?> ToParquetRow(BinarizedPreference row) => new()
    {
        ["prompt"] = row.Prompt,
        ["prompt_id"] = row.PromptId,
        ["chosen"] = ToParquetMessages(row.Chosen),
        ["rejected"] = ToParquetMessages(row.Rejected),
        ["messages"] = ToParquetMessages(row.Messages),
        ["score_chosen"] = row.ScoreChosen,
        ["score_rejected"] = row.ScoreRejected,
    };

    private static List<Dictionary<string, object>> ToParquetMessages(IReadOnlyList<ConversationMessage> messages) =>
        messages.Select(m => new Dictionary<string, object> { ["content"] = m.Content, ["role"] = m.Role.ToWireName() }).ToList();

    private static ListField Messages(string name) =>
        new(name, new StructField("element", new DataField<string>("content"), new DataField<string>("role")));
}
