using System.Text.Json;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Tests.Data;

public sealed class DatasetReaderTests
{
    private static readonly string[] PrefsMessageColumns = ["chosen", "rejected", "messages"];

    [Theory]
    [InlineData("prefs.parquet", 200)]
    [InlineData("prefs.jsonl", 200)]
    [InlineData("prefs-plain.jsonl", 50)]
    [InlineData("sft.parquet", 200)]
    [InlineData("sft.jsonl", 200)]
    public async Task CountRecords_matches_the_expected_row_count(string file, long rows)
    {
        Assert.Equal(DataFixtures.ExpectedFile(file).GetProperty("rows").GetInt64(), rows);
        Assert.Equal(rows, await DatasetReader.CountRecordsAsync(DataFixtures.PathOf(file)));
    }

    [Fact]
    public async Task Counting_parquet_rows_reads_only_the_magic_and_the_footer()
    {
        string path = DataFixtures.PathOf("prefs.parquet");
        byte[] bytes = await File.ReadAllBytesAsync(path);
        long footerStart = bytes.Length - 8 - BitConverter.ToInt32(bytes, bytes.Length - 8);
        await using var stream = new RecordingStream(File.OpenRead(path));

        long rows = await ParquetRecordReader.CountRowsAsync(stream, path, CancellationToken.None);

        Assert.Equal(200, rows);
        Assert.All(stream.Reads, r => Assert.True(r.Offset < 4 || r.Offset >= footerStart, $"read at {r.Offset}"));
    }

    [Fact]
    public async Task Opening_parquet_reads_only_the_magic_and_the_footer()
    {
        string path = DataFixtures.PathOf("prefs.parquet");
        await using var stream = new RecordingStream(File.OpenRead(path));
        long footerStart = stream.Length - 8 - BitConverter.ToInt32(File.ReadAllBytes(path).AsSpan((int)stream.Length - 8, 4));

        IAsyncEnumerable<DatasetRecord> records = DatasetReader.ReadAsync(stream, "prefs.parquet", new DatasetReadOptions { Columns = [] });
        await using IAsyncEnumerator<DatasetRecord> enumerator = records.GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());

        // With no columns requested, opening and yielding the first row touches only the magic bytes and the footer.
        Assert.All(stream.Reads, r => Assert.True(r.Offset < 4 || r.Offset >= footerStart, $"read at {r.Offset}"));
    }

    [Fact]
    public async Task Parquet_columns_are_described_as_the_expected_schema()
    {
        foreach (string file in new[] { "prefs.parquet", "sft.parquet" })
        {
            IReadOnlyList<DatasetColumnInfo>? columns = await DatasetReader.ReadColumnsAsync(DataFixtures.PathOf(file));
            string[] expected = DataFixtures.ExpectedFile(file).GetProperty("columns").EnumerateArray()
                .Select(c => $"{c.GetProperty("name").GetString()}: {c.GetProperty("type").GetString()}").ToArray();
            Assert.NotNull(columns);
            Assert.Equal(expected, columns.Select(c => $"{c.Name}: {c.TypeName}"));
        }

        Assert.Null(await DatasetReader.ReadColumnsAsync(DataFixtures.PathOf("prefs.jsonl")));
    }

    [Theory]
    [InlineData("prefs.parquet", "prefs.jsonl")]
    [InlineData("sft.parquet", "sft.jsonl")]
    public async Task Every_parquet_row_equals_its_json_lines_twin(string parquet, string jsonl)
    {
        JsonElement[] twin = DataFixtures.JsonLines(jsonl);
        List<DatasetRecord> rows = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(DataFixtures.PathOf(parquet)));
        List<DatasetRecord> lines = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(DataFixtures.PathOf(jsonl)));

        Assert.Equal(twin.Length, rows.Count);
        Assert.Equal(twin.Length, lines.Count);
        for (int i = 0; i < twin.Length; i++)
        {
            Assert.Equal(i, rows[i].Row);
            Assert.Null(rows[i].Line);
            Assert.Equal(i + 1, lines[i].Line);
            AssertRecordEquals(twin[i], rows[i]);
            AssertRecordEquals(twin[i], lines[i]);
        }
    }

    [Theory]
    [InlineData("prefs.parquet")]
    [InlineData("prefs.jsonl")]
    [InlineData("sft.parquet")]
    [InlineData("sft.jsonl")]
    [InlineData("prefs-plain.jsonl")]
    public async Task Sampled_rows_of_expected_json_are_read_exactly(string file)
    {
        List<DatasetRecord> records = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(DataFixtures.PathOf(file)));
        int checkedRows = 0;
        foreach ((int index, JsonElement row) in DataFixtures.Samples(file))
        {
            AssertRecordEquals(row, records[index]);
            checkedRows++;
        }

        Assert.Equal(file == "prefs-plain.jsonl" ? 7 : 20, checkedRows);
    }

    [Theory]
    [InlineData("prefs.parquet")]
    [InlineData("sft.jsonl")]
    public async Task Special_rows_keep_unicode_crlf_tabs_long_text_and_template_markers(string file)
    {
        string family = file.StartsWith("prefs", StringComparison.Ordinal) ? "prefs.parquet" : "sft.parquet";
        string column = family == "prefs.parquet" ? "chosen" : "messages";
        List<DatasetRecord> records = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(DataFixtures.PathOf(file)));
        string TextOf(int row) => string.Concat(records[row].GetMessages(column).Select(m => m.Content));

        foreach (int row in DataFixtures.Feature(family, "non_bmp"))
        {
            Assert.Contains(TextOf(row), char.IsSurrogate);
        }

        foreach (int row in DataFixtures.Feature(family, "crlf"))
        {
            Assert.Contains("\r\n", TextOf(row), StringComparison.Ordinal);
            Assert.Contains('\t', TextOf(row) + records[row].GetString("prompt"));
        }

        foreach (int row in DataFixtures.Feature(family, "long_content_over_4000_chars"))
        {
            Assert.Contains(records[row].GetMessages(column), m => m.Content.Length > 4000);
        }

        foreach (int row in DataFixtures.Feature(family, "chat_template_markers"))
        {
            Assert.Contains("<|assistant|>", TextOf(row), StringComparison.Ordinal);
            Assert.Contains("</s>", TextOf(row), StringComparison.Ordinal);
        }

        if (family == "prefs.parquet")
        {
            // Row 4 mixes a precomposed ñ with n + combining tilde: no normalisation may merge them.
            Assert.Contains("n\u0303", TextOf(4), StringComparison.Ordinal);
            Assert.Contains("\u00f1", TextOf(4), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_null_list_and_an_empty_list_stay_different()
    {
        List<DatasetRecord> records = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(DataFixtures.BadPathOf("rejected-null-and-empty.parquet")));

        Assert.Equal(20, records.Count);
        Assert.Equal(DatasetValueKind.Null, records[3].GetKind("rejected"));
        DatasetFormatException error = Assert.Throws<DatasetFormatException>(() => records[3].GetMessages("rejected"));
        Assert.Equal(3, error.Row);
        Assert.Equal(DatasetValueKind.Array, records[11].GetKind("rejected"));
        Assert.Empty(records[11].GetMessages("rejected"));
        Assert.NotEmpty(records[10].GetMessages("rejected"));
    }

    [Theory]
    [InlineData("truncated.parquet", "not a valid Parquet file: truncated or missing footer")]
    [InlineData("bad-magic.parquet", "not a Parquet file: bad magic bytes at offset 0 (\"PAR0\", expected \"PAR1\")")]
    [InlineData("empty.parquet", "not a valid Parquet file: the file is empty")]
    [InlineData("empty.jsonl", "empty dataset: the file contains no records")]
    public async Task Broken_files_fail_before_any_row_with_the_file_named(string file, string message)
    {
        string path = DataFixtures.BadPathOf(file);
        var rows = new List<DatasetRecord>();
        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(async () =>
        {
            await foreach (DatasetRecord record in DatasetReader.ReadAsync(path))
            {
                rows.Add(record);
            }
        });

        Assert.Empty(rows);
        Assert.Equal(path, error.FilePath);
        Assert.Null(error.Row);
        Assert.Null(error.Line);
        Assert.StartsWith($"{path}: {message}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated.parquet")]
    [InlineData("bad-magic.parquet")]
    [InlineData("empty.parquet")]
    public async Task Counting_a_broken_parquet_file_fails_too(string file)
    {
        await Assert.ThrowsAsync<DatasetFormatException>(() => DatasetReader.CountRecordsAsync(DataFixtures.BadPathOf(file)));
    }

    [Fact]
    public async Task A_missing_required_column_is_a_schema_error_naming_it()
    {
        string path = DataFixtures.BadPathOf("missing-chosen.parquet");
        var options = new DatasetReadOptions { Columns = [new("chosen", DatasetColumnKind.Messages), new("rejected", DatasetColumnKind.Messages)] };

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(DatasetReader.ReadAsync(path, options)));

        Assert.Equal($"{path}: schema error: required column 'chosen' is missing", error.Message);
        Assert.Equal("chosen", error.Field);
    }

    [Fact]
    public async Task An_optional_missing_column_reads_as_missing()
    {
        var options = new DatasetReadOptions { Columns = [new("rejected", DatasetColumnKind.Messages), new("chosen", DatasetColumnKind.Messages, Required: false)] };

        List<DatasetRecord> rows = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(DataFixtures.BadPathOf("missing-chosen.parquet"), options));

        Assert.Equal(20, rows.Count);
        Assert.All(rows, r => Assert.Equal(DatasetValueKind.Missing, r.GetKind("chosen")));
        Assert.All(rows, r => Assert.Equal(DatasetValueKind.Missing, r.GetKind("prompt")));
    }

    [Fact]
    public async Task A_column_of_the_wrong_type_is_a_schema_error_naming_both_types()
    {
        string path = DataFixtures.BadPathOf("chosen-string.parquet");
        var options = new DatasetReadOptions { Columns = [new("chosen", DatasetColumnKind.Messages)] };

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(DatasetReader.ReadAsync(path, options)));

        Assert.Equal($"{path}: schema error: column 'chosen' has type string, expected list<struct<content: string, role: string>>", error.Message);
    }

    [Fact]
    public async Task Invalid_json_lines_become_records_carrying_their_error()
    {
        string path = DataFixtures.BadPathOf("malformed-line7.jsonl");
        List<DatasetRecord> records = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(path));

        Assert.Equal(10, records.Count);
        Assert.Equal(9, records.Count(r => r.Error is null));
        DatasetRecord bad = Assert.Single(records, r => r.Error is not null);
        Assert.Equal(7, bad.Line);
        Assert.StartsWith($"{path}: line 7: invalid JSON", bad.Error!.Message, StringComparison.Ordinal);
        Assert.Same(bad.Error, Assert.Throws<DatasetFormatException>(() => bad.GetKind("chosen")));
    }

    [Fact]
    public async Task Blank_lines_are_skipped_but_counted_in_line_numbers()
    {
        using var folder = new Infrastructure.TempDirectory();
        string path = folder.File("gaps.jsonl");
        await File.WriteAllTextAsync(path, "\n{\"a\":\"x\"}\r\n\r\n  \n{\"a\":\"y\"}");

        List<DatasetRecord> records = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(path));

        Assert.Equal([2L, 5L], records.Select(r => r.Line!.Value));
        Assert.Equal(["x", "y"], records.Select(r => r.GetString("a")));
        Assert.Equal(2, await DatasetReader.CountRecordsAsync(path));
    }

    [Fact]
    public async Task A_json_value_that_is_not_an_object_is_a_line_error()
    {
        using var folder = new Infrastructure.TempDirectory();
        string path = folder.File("array.jsonl");
        await File.WriteAllTextAsync(path, "[{\"content\":\"x\",\"role\":\"user\"}]\n");

        DatasetRecord record = Assert.Single(await DataFixtures.ToListAsync(DatasetReader.ReadAsync(path)));

        Assert.Equal($"{path}: line 1: expected a JSON object, found array", record.Error?.Message);
    }

    [Fact]
    public async Task Message_errors_name_the_field_index_and_role()
    {
        using var folder = new Infrastructure.TempDirectory();
        string path = folder.File("roles.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            "{\"messages\":[{\"content\":\"hi\",\"role\":\"user\"},{\"content\":\"ok\",\"role\":\"tool\"}]}",
            "{\"messages\":[{\"content\":null,\"role\":\"user\"}]}",
            "{\"messages\":[\"hi\"]}",
            "{\"messages\":[{\"content\":\"hi\"}]}",
            "{\"messages\":[{\"role\":\"user\"}]}",
            "{\"messages\":\"hi\"}",
        ]);

        List<DatasetRecord> records = await DataFixtures.ToListAsync(DatasetReader.ReadAsync(path));
        string[] messages = records.Select(r => Assert.Throws<DatasetFormatException>(() => r.GetMessages("messages")).Message).ToArray();

        Assert.Equal(
        [
            $"{path}: line 1: 'messages'[1] has unknown role 'tool' (expected system, user or assistant)",
            $"{path}: line 2: 'messages'[0].content is null, expected a string",
            $"{path}: line 3: 'messages'[0] has the wrong type (string), expected a {{content, role}} object",
            $"{path}: line 4: 'messages'[0] has no 'role'",
            $"{path}: line 5: 'messages'[0] has no 'content'",
            $"{path}: line 6: field 'messages' has the wrong type (string), expected an array of {{content, role}} objects",
        ], messages);
    }

    [Theory]
    [InlineData("prefs.jsonl")]
    [InlineData("prefs.parquet")]
    public async Task Cancellation_stops_the_enumeration(string file)
    {
        using var cancellation = new CancellationTokenSource();
        int seen = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (DatasetRecord record in DatasetReader.ReadAsync(DataFixtures.PathOf(file), cancellationToken: cancellation.Token))
            {
                seen++;
                if (seen == 70)
                {
                    // Past the first row group of the Parquet file, so the next one is never decoded.
                    await cancellation.CancelAsync();
                }
            }
        });

        Assert.InRange(seen, 70, 128);
    }

    [Theory]
    [InlineData("a.parquet", DatasetFormat.Parquet)]
    [InlineData("a.PARQUET", DatasetFormat.Parquet)]
    [InlineData("a.jsonl", DatasetFormat.JsonLines)]
    [InlineData("dir.x/a.json", DatasetFormat.JsonLines)]
    public void The_format_comes_from_the_extension(string path, DatasetFormat format)
    {
        Assert.Equal(format, DatasetReader.ResolveFormat(path));
        Assert.Equal(DatasetFormat.Parquet, DatasetReader.ResolveFormat(path, DatasetFormat.Parquet));
    }

    [Fact]
    public void An_unknown_extension_needs_an_explicit_format()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => DatasetReader.ResolveFormat("data.csv"));
        Assert.Contains(".csv", error.Message, StringComparison.Ordinal);
        Assert.Equal(DatasetFormat.JsonLines, DatasetReader.ResolveFormat("data.csv", DatasetFormat.JsonLines));
    }

    private static void AssertRecordEquals(JsonElement expected, DatasetRecord actual)
    {
        foreach (JsonProperty property in expected.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String:
                    Assert.Equal(property.Value.GetString(), actual.GetString(property.Name));
                    break;
                case JsonValueKind.Number:
                    // Doubles compare bit for bit: 23/3 and 13/3 must survive both formats unrounded.
                    Assert.Equal(BitConverter.DoubleToInt64Bits(property.Value.GetDouble()), BitConverter.DoubleToInt64Bits(actual.GetOptionalNumber(property.Name)!.Value));
                    break;
                case JsonValueKind.Array:
                    Assert.Equal(DataFixtures.Messages(property.Value), actual.GetMessages(property.Name));
                    break;
                default:
                    Assert.Fail($"unexpected {property.Value.ValueKind} in {property.Name}");
                    break;
            }
        }

        Assert.Equal(expected.EnumerateObject().Count(), PrefsMessageColumns.Concat(["prompt", "prompt_id", "score_chosen", "score_rejected", "completion"])
            .Count(c => actual.GetKind(c) != DatasetValueKind.Missing));
    }
}
