using System.Text.Json.Serialization;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Data;

public sealed class ParquetStreamingTests
{
    private const int RowGroups = 20;
    private const int RowsPerGroup = 50;

    [Fact]
    public async Task Reading_the_first_rows_touches_only_the_first_row_group_and_the_footer()
    {
        using var folder = new TempDirectory();
        string path = folder.File("big.parquet");
        await WritePreferencesAsync(path, RowGroups * RowsPerGroup, RowsPerGroup);
        (long secondGroupStart, long footerStart) = await LayoutAsync(path);

        await using var stream = new RecordingStream(File.OpenRead(path));
        var firstRows = new List<DatasetRecord>();
        await foreach (DatasetRecord record in DatasetReader.ReadAsync(stream, "big.parquet"))
        {
            firstRows.Add(record);
            if (firstRows.Count == 3)
            {
                break;
            }
        }

        Assert.Equal([0L, 1L, 2L], firstRows.Select(r => r.Row!.Value));
        Assert.Equal("answer 0", firstRows[0].GetMessages("chosen")[^1].Content);
        Assert.NotEmpty(stream.Reads);
        Assert.All(stream.Reads, r => Assert.True(
            r.Offset + r.Count <= secondGroupStart || r.Offset >= footerStart,
            $"read of {r.Count} bytes at {r.Offset} reaches past row group 0 (ends at {secondGroupStart}) before the footer ({footerStart})"));

        // Of the data (everything before the footer) only row group 0 was read: none of the other 19 row groups.
        var covered = new bool[footerStart];
        foreach ((long offset, int count) in stream.Reads.Where(r => r.Offset < footerStart))
        {
            Array.Fill(covered, true, (int)offset, (int)Math.Min(count, footerStart - offset));
        }

        Assert.Contains(true, covered.AsSpan(0, (int)secondGroupStart).ToArray());
        Assert.DoesNotContain(true, covered.AsSpan((int)secondGroupStart).ToArray());
    }

    [Fact]
    public async Task All_row_groups_are_read_in_order_with_global_row_indices()
    {
        using var folder = new TempDirectory();
        string path = folder.File("big.parquet");
        await WritePreferencesAsync(path, 1000, 64);

        var dataset = new PreferenceDataset(path);
        long expected = 0;
        await foreach (PreferenceExample example in dataset.ReadAsync())
        {
            Assert.Equal($"{path}: row {expected}", example.Source);
            Assert.Equal($"answer {expected}", example.Chosen);
            expected++;
        }

        Assert.Equal(1000, expected);
        Assert.Equal(1000, await dataset.CountRecordsAsync());
    }

    [Fact]
    public async Task Lists_whose_item_is_named_item_read_like_element()
    {
        // Older pyarrow names the list item "item" where DuckDB and newer pyarrow write "element".
        using var folder = new TempDirectory();
        string path = folder.File("item.parquet");
        Field Messages(string name) => new ListField(name, new StructField("item", new DataField<string>("content"), new DataField<string>("role")));
        var schema = new ParquetSchema(Messages("chosen"), Messages("rejected"));
        var rows = new List<Dictionary<string, object?>>
        {
            new()
            {
                ["chosen"] = new List<Dictionary<string, object?>> { Message("Hi?", "user"), Message("Hello!", "assistant") },
                ["rejected"] = new List<Dictionary<string, object?>> { Message("Hi?", "user"), Message("Go away.", "assistant") },
            },
        };
        await using (FileStream output = File.Create(path))
        {
            await ParquetSerializer.SerializeUntypedAsync(rows.Cast<IDictionary<string, object?>>().ToList()!, schema, output);
        }

        Assert.Equal("item", ((ListField)(await ParquetReader.ReadSchemaAsync(path))[0]).Item.Name);
        PreferenceExample pair = Assert.Single(await DataFixtures.ToListAsync(new PreferenceDataset(path).ReadAsync()));
        Assert.Equal([ConversationMessage.User("Hi?")], pair.Prompt);
        Assert.Equal("Hello!", pair.Chosen);
        Assert.Equal("Go away.", pair.Rejected);
    }

    private static Dictionary<string, object?> Message(string content, string role) => new() { ["content"] = content, ["role"] = role };

    internal static async Task WritePreferencesAsync(string path, int rows, int rowGroupSize)
    {
        IEnumerable<PreferenceRow> data = Enumerable.Range(0, rows).Select(i => new PreferenceRow
        {
            Prompt = $"question {i} " + new string('x', 200),
            PromptId = i.ToString("x64", System.Globalization.CultureInfo.InvariantCulture),
            Chosen = [new() { Content = $"question {i} " + new string('x', 200), Role = "user" }, new() { Content = $"answer {i}", Role = "assistant" }],
            Rejected = [new() { Content = $"question {i} " + new string('x', 200), Role = "user" }, new() { Content = $"worse {i}", Role = "assistant" }],
            ScoreChosen = 8,
            ScoreRejected = 4,
        });
        await ParquetSerializer.SerializeAsync(data, path, new ParquetOptions { RowGroupSize = rowGroupSize });
    }

    private static async Task<(long SecondGroupStart, long FooterStart)> LayoutAsync(string path)
    {
        await using ParquetReader reader = await ParquetReader.CreateAsync(path);
        Assert.Equal(RowGroups, reader.RowGroupCount);
        long secondGroupStart = reader.Metadata!.RowGroups[1].Columns.Min(c => c.MetaData!.DictionaryPageOffset ?? c.MetaData.DataPageOffset);
        byte[] bytes = await File.ReadAllBytesAsync(path);
        long footerStart = bytes.Length - 8 - BitConverter.ToInt32(bytes, bytes.Length - 8);
        return (secondGroupStart, footerStart);
    }

    internal sealed class PreferenceRow
    {
        [JsonPropertyName("prompt")]
        public string? Prompt { get; set; }

        [JsonPropertyName("prompt_id")]
        public string? PromptId { get; set; }

        [JsonPropertyName("chosen")]
        public List<MessageRow>? Chosen { get; set; }

        [JsonPropertyName("rejected")]
        public List<MessageRow>? Rejected { get; set; }

        [JsonPropertyName("score_chosen")]
        public double? ScoreChosen { get; set; }

        [JsonPropertyName("score_rejected")]
        public double? ScoreRejected { get; set; }
    }

    internal sealed class MessageRow
    {
        [JsonPropertyName("content")]
        public string? Content { get; set; }

        [JsonPropertyName("role")]
        public string? Role { get; set; }
    }
}
