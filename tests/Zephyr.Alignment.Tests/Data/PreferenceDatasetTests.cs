using System.Text.Json;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Data;

public sealed class PreferenceDatasetTests
{
    [Theory]
    [InlineData("prefs.parquet")]
    [InlineData("prefs.jsonl")]
    public async Task Every_pair_matches_the_independently_parsed_twin(string file)
    {
        string path = DataFixtures.PathOf(file);
        JsonElement[] twin = DataFixtures.JsonLines("prefs.jsonl");
        var dataset = new PreferenceDataset(path);

        List<PreferenceExample> pairs = await DataFixtures.ToListAsync(dataset.ReadAsync());

        Assert.Equal(twin.Length, pairs.Count);
        for (int i = 0; i < twin.Length; i++)
        {
            ConversationMessage[] chosen = DataFixtures.Messages(twin[i].GetProperty("chosen"));
            ConversationMessage[] rejected = DataFixtures.Messages(twin[i].GetProperty("rejected"));
            PreferenceExample pair = pairs[i];
            Assert.Equal(chosen[..^1], pair.Prompt);
            Assert.Equal(rejected[..^1], pair.Prompt);
            Assert.Equal(chosen[^1].Content, pair.Chosen);
            Assert.Equal(rejected[^1].Content, pair.Rejected);
            Assert.Null(pair.PromptText);
            Assert.Equal(twin[i].GetProperty("prompt_id").GetString(), pair.PromptId);
            Assert.Equal(twin[i].GetProperty("score_chosen").GetDouble(), pair.ScoreChosen);
            Assert.Equal(twin[i].GetProperty("score_rejected").GetDouble(), pair.ScoreRejected);
            Assert.Equal(file.EndsWith(".parquet", StringComparison.Ordinal) ? $"{path}: row {i}" : $"{path}: line {i + 1}", pair.Source);

            // ultrafeedback_binarized: the prompt string is the first user message.
            Assert.Equal(twin[i].GetProperty("prompt").GetString(), pair.Prompt.First(m => m.Role == MessageRole.User).Content);
        }

        Assert.Equal(0, dataset.InvalidRows.Count);
        Assert.Equal(200, await dataset.CountRecordsAsync());
    }

    [Fact]
    public async Task Sampled_rows_keep_system_turns_multi_turn_prompts_ties_and_inexact_scores()
    {
        List<PreferenceExample> pairs = await DataFixtures.ToListAsync(new PreferenceDataset(DataFixtures.PathOf("prefs.parquet")).ReadAsync());

        foreach ((int index, JsonElement row) in DataFixtures.Samples("prefs.parquet"))
        {
            Assert.Equal(DataFixtures.Messages(row.GetProperty("chosen"))[..^1], pairs[index].Prompt);
            Assert.Equal(DataFixtures.Messages(row.GetProperty("rejected"))[^1].Content, pairs[index].Rejected);
        }

        Assert.Equal(MessageRole.System, pairs[2].Prompt[0].Role);
        Assert.Equal(5, pairs[3].Prompt.Count);
        Assert.Equal(MessageRole.User, pairs[3].Prompt[^1].Role);
        Assert.Equal(pairs[5].ScoreChosen, pairs[5].ScoreRejected);
        Assert.Equal(23.0 / 3.0, pairs[9].ScoreChosen);
        Assert.Equal(13.0 / 3.0, pairs[9].ScoreRejected);
        Assert.True(pairs[6].Chosen.Length > 4000);
    }

    [Fact]
    public async Task The_plain_form_keeps_the_prompt_text_as_is()
    {
        string path = DataFixtures.PathOf("prefs-plain.jsonl");
        JsonElement[] twin = DataFixtures.JsonLines("prefs-plain.jsonl");

        List<PreferenceExample> pairs = await DataFixtures.ToListAsync(new PreferenceDataset(path).ReadAsync());

        Assert.Equal(50, pairs.Count);
        for (int i = 0; i < twin.Length; i++)
        {
            Assert.Equal(twin[i].GetProperty("prompt").GetString(), pairs[i].PromptText);
            Assert.Empty(pairs[i].Prompt);
            Assert.Equal(twin[i].GetProperty("chosen").GetString(), pairs[i].Chosen);
            Assert.Equal(twin[i].GetProperty("rejected").GetString(), pairs[i].Rejected);
            Assert.Null(pairs[i].PromptId);
            Assert.Null(pairs[i].ScoreChosen);
        }

        Assert.Contains("\r\n", pairs[3].Chosen + pairs[3].Rejected + pairs[3].PromptText, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, long?, long?> BadFiles() => new()
    {
        { "truncated.parquet", "not a valid Parquet file: truncated or missing footer (the last 4 bytes are", null, null },
        { "bad-magic.parquet", "not a Parquet file: bad magic bytes at offset 0 (\"PAR0\", expected \"PAR1\")", null, null },
        { "missing-chosen.parquet", "schema error: required column 'chosen' is missing", null, null },
        { "chosen-string.parquet", "schema error: column 'chosen' has type string, expected list<struct<content: string, role: string>>", null, null },
        { "rejected-null-and-empty.parquet", "row 3: 'rejected' is null", 3, null },
        { "malformed-line7.jsonl", "line 7: invalid JSON", null, 7 },
        { "missing-field-line3.jsonl", "line 3: required field 'rejected' is missing", null, 3 },
        { "wrong-type-line5.jsonl", "line 5: field 'chosen' has the wrong type (object), expected an array of {content, role} objects", null, 5 },
        { "empty.jsonl", "empty dataset: the file contains no records", null, null },
        { "empty.parquet", "not a valid Parquet file: the file is empty (0 bytes; the minimum is 12", null, null },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task Each_bad_file_gets_the_error_its_readme_names(string file, string message, long? row, long? line)
    {
        string path = DataFixtures.BadPathOf(file);
        var dataset = new PreferenceDataset(path);

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(dataset.ReadAsync()));

        Assert.StartsWith($"{path}: {message}", error.Message, StringComparison.Ordinal);
        Assert.Equal(path, error.FilePath);
        Assert.Equal(row, error.Row);
        Assert.Equal(line, error.Line);
        Assert.IsAssignableFrom<FormatException>(error);
    }

    [Fact]
    public void The_bad_file_list_matches_expected_json()
    {
        string[] listed = DataFixtures.Expected.GetProperty("bad").EnumerateArray().Select(b => Path.GetFileName(b.GetProperty("file").GetString()!)).Order().ToArray();
        string[] tested = BadFiles().Select(d => (string)d[0]).Order().ToArray();
        string[] present = Directory.GetFiles(TestPaths.Fixture("data", "bad")).Select(Path.GetFileName).Where(f => f != "README.md").Order().ToArray()!;

        Assert.Equal(listed, tested);
        Assert.Equal(listed, present);
    }

    [Theory]
    [InlineData("rejected-null-and-empty.parquet", 18, new[] { "row 3: 'rejected' is null", "row 11: 'rejected' is an empty list (no assistant completion)" })]
    [InlineData("malformed-line7.jsonl", 9, new[] { "line 7: invalid JSON" })]
    [InlineData("missing-field-line3.jsonl", 9, new[] { "line 3: required field 'rejected' is missing" })]
    [InlineData("wrong-type-line5.jsonl", 9, new[] { "line 5: field 'chosen' has the wrong type (object)" })]
    public async Task Skip_mode_keeps_the_good_rows_and_counts_the_bad_ones(string file, int kept, string[] reasons)
    {
        string path = DataFixtures.BadPathOf(file);
        var dataset = new PreferenceDataset(path, new PreferenceDatasetOptions { InvalidRows = InvalidRowHandling.Skip });

        List<PreferenceExample> pairs = await DataFixtures.ToListAsync(dataset.ReadAsync());

        Assert.Equal(kept, pairs.Count);
        Assert.Equal(reasons.Length, dataset.InvalidRows.Count);
        Assert.Equal(reasons.Length, dataset.InvalidRows.FirstReasons.Count);
        for (int i = 0; i < reasons.Length; i++)
        {
            Assert.StartsWith($"{path}: {reasons[i]}", dataset.InvalidRows.FirstReasons[i], StringComparison.Ordinal);
        }

        Assert.StartsWith($"{reasons.Length} invalid rows skipped in {path}; first {reasons.Length}: ", dataset.InvalidRows.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(pairs, p => p.Source!.EndsWith(reasons[0][..reasons[0].IndexOf(':', StringComparison.Ordinal)], StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("missing-chosen.parquet")]
    [InlineData("bad-magic.parquet")]
    [InlineData("empty.jsonl")]
    public async Task Skip_mode_still_throws_file_errors(string file)
    {
        var dataset = new PreferenceDataset(DataFixtures.BadPathOf(file), new PreferenceDatasetOptions { InvalidRows = InvalidRowHandling.Skip });

        await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(dataset.ReadAsync()));
    }

    [Theory]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"Same","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"Same","role":"assistant"}]}""", "the 'chosen' and 'rejected' completions are identical (no preference signal)")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"  ","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"B","role":"assistant"}]}""", "the 'chosen' completion is empty")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"","role":"assistant"}]}""", "the 'rejected' completion is empty")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Other","role":"user"},{"content":"B","role":"assistant"}]}""", "'chosen' and 'rejected' do not share the same prompt (chosen[:-1] != rejected[:-1]; 2 and 2 messages, first difference at message 0)")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"B","role":"user"}]}""", "'rejected' does not end with an assistant message (last role: user)")]
    [InlineData("""{"chosen":[{"content":"A","role":"assistant"}],"rejected":[{"content":"B","role":"assistant"}]}""", "'chosen' has no prompt before its final assistant message")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"Q2","role":"user"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"Q2","role":"user"},{"content":"B","role":"assistant"}]}""", "'chosen': message 1 has role 'user' where 'assistant' was expected")]
    [InlineData("""{"chosen":[{"content":"Q","role":"tool"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Q","role":"tool"},{"content":"B","role":"assistant"}]}""", "'chosen'[0] has unknown role 'tool' (expected system, user or assistant)")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":null}""", "'rejected' is null")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":[]}""", "'rejected' is an empty list (no assistant completion)")]
    [InlineData("""{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"B","role":"assistant"}],"score_chosen":"high"}""", "field 'score_chosen' has the wrong type (string), expected a number")]
    public async Task Invalid_pairs_are_reported_with_file_and_line(string json, string message)
    {
        using var folder = new TempDirectory();
        string path = folder.File("pairs.jsonl");
        string good = """{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"B","role":"assistant"}]}""";
        await File.WriteAllLinesAsync(path, [good, json, good]);

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(new PreferenceDataset(path).ReadAsync()));
        Assert.StartsWith($"{path}: line 2: {message}", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, error.Line);

        var skipping = new PreferenceDataset(path, new PreferenceDatasetOptions { InvalidRows = InvalidRowHandling.Skip });
        Assert.Equal(2, (await DataFixtures.ToListAsync(skipping.ReadAsync())).Count);
        Assert.Equal(1, skipping.InvalidRows.Count);
    }

    [Fact]
    public async Task Identical_plain_completions_are_reported()
    {
        using var folder = new TempDirectory();
        string path = folder.File("plain.jsonl");
        await File.WriteAllLinesAsync(path, ["""{"prompt":"Q","chosen":"A","rejected":"B"}""", """{"prompt":"Q","chosen":"A","rejected":"A"}"""]);

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(new PreferenceDataset(path).ReadAsync()));

        Assert.Equal($"{path}: line 2: the 'chosen' and 'rejected' completions are identical (no preference signal)", error.Message);
    }

    [Fact]
    public async Task A_json_lines_file_keeps_the_form_of_its_first_record()
    {
        using var folder = new TempDirectory();
        string path = folder.File("mixed.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"prompt":"Q","chosen":"A","rejected":"B"}""",
            """{"chosen":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}],"rejected":[{"content":"Q","role":"user"},{"content":"B","role":"assistant"}]}""",
        ]);

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(new PreferenceDataset(path).ReadAsync()));

        Assert.StartsWith($"{path}: line 2: required field 'prompt' is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forcing_the_plain_form_on_conversational_parquet_is_a_schema_error()
    {
        string path = DataFixtures.PathOf("prefs.parquet");
        var dataset = new PreferenceDataset(path, new PreferenceDatasetOptions { Examples = ExampleFormat.Plain });

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(dataset.ReadAsync()));

        Assert.Equal($"{path}: schema error: column 'chosen' has type list<struct<content: string, role: string>>, expected string", error.Message);
    }

    [Fact]
    public async Task A_file_with_only_invalid_rows_fails_even_in_skip_mode()
    {
        using var folder = new TempDirectory();
        string path = folder.File("bad.jsonl");
        await File.WriteAllLinesAsync(path, ["{", """{"prompt":"Q","chosen":"A","rejected":"A"}"""]);
        var dataset = new PreferenceDataset(path, new PreferenceDatasetOptions { InvalidRows = InvalidRowHandling.Skip });

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(dataset.ReadAsync()));

        Assert.StartsWith($"{path}: no valid preference pairs: every record is invalid (2 invalid rows skipped", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, dataset.InvalidRows.Count);
    }

    [Fact]
    public async Task Skip_reports_keep_the_count_beyond_the_first_reasons()
    {
        using var folder = new TempDirectory();
        string path = folder.File("many.jsonl");
        string good = """{"prompt":"Q","chosen":"A","rejected":"B"}""";
        await File.WriteAllLinesAsync(path, [good, .. Enumerable.Repeat("{oops", 12)]);
        var dataset = new PreferenceDataset(path, new PreferenceDatasetOptions { InvalidRows = InvalidRowHandling.Skip });

        Assert.Single(await DataFixtures.ToListAsync(dataset.ReadAsync()));

        Assert.Equal(12, dataset.InvalidRows.Count);
        Assert.Equal(5, dataset.InvalidRows.FirstReasons.Count);
        Assert.StartsWith($"{path}: line 6: invalid JSON", dataset.InvalidRows.FirstReasons[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_guards_its_arguments()
    {
        Assert.Throws<ArgumentException>(() => new PreferenceDataset(" "));
        Assert.Throws<ArgumentException>(() => new PreferenceDataset("prefs.csv"));
        Assert.Equal(DatasetFormat.JsonLines, new PreferenceDataset("prefs.csv", new PreferenceDatasetOptions { Format = DatasetFormat.JsonLines }).Format);
    }

    [Fact]
    public async Task A_missing_file_is_a_file_not_found_error()
    {
        var dataset = new PreferenceDataset(DataFixtures.PathOf("does-not-exist.parquet"));

        await Assert.ThrowsAsync<FileNotFoundException>(() => DataFixtures.ToListAsync(dataset.ReadAsync()));
    }
}
