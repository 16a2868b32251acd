using System.Text.Json;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Data;

public sealed class ConversationDatasetTests
{
    [Theory]
    [InlineData("sft.parquet")]
    [InlineData("sft.jsonl")]
    public async Task Every_conversation_matches_the_independently_parsed_twin(string file)
    {
        string path = DataFixtures.PathOf(file);
        JsonElement[] twin = DataFixtures.JsonLines("sft.jsonl");
        var dataset = new ConversationDataset(path);

        List<ConversationExample> examples = await DataFixtures.ToListAsync(dataset.ReadAsync());

        Assert.Equal(twin.Length, examples.Count);
        for (int i = 0; i < twin.Length; i++)
        {
            Assert.True(examples[i].IsConversational);
            Assert.Equal(DataFixtures.Messages(twin[i].GetProperty("messages")), examples[i].Messages);
            Assert.Equal(twin[i].GetProperty("prompt_id").GetString(), examples[i].PromptId);
            Assert.Equal(file.EndsWith(".parquet", StringComparison.Ordinal) ? $"{path}: row {i}" : $"{path}: line {i + 1}", examples[i].Source);
        }

        foreach ((int index, JsonElement row) in DataFixtures.Samples(file))
        {
            Assert.Equal(DataFixtures.Messages(row.GetProperty("messages")), examples[index].Messages);
        }

        Assert.Equal(9, examples.Max(e => e.Messages!.Count));
        Assert.Equal(988, examples.Sum(e => e.Messages!.Count));
        Assert.Equal(200, await dataset.CountRecordsAsync());
    }

    [Theory]
    [InlineData("""{"messages":[{"content":"Q","role":"user"}]}""", "'messages' has no assistant turn (nothing to learn from)")]
    [InlineData("""{"messages":[{"content":"Sys","role":"system"},{"content":"Hi","role":"system"},{"content":"A","role":"assistant"}]}""", "'messages': roles out of order: message 1 has role 'system' where 'user' was expected")]
    [InlineData("""{"messages":[{"content":"A","role":"assistant"},{"content":"Q","role":"user"}]}""", "'messages': roles out of order: message 0 has role 'assistant' where 'user' was expected")]
    [InlineData("""{"messages":[{"content":"Q","role":"user"},{"content":"A","role":"robot"}]}""", "'messages'[1] has unknown role 'robot' (expected system, user or assistant)")]
    [InlineData("""{"messages":[]}""", "'messages' is an empty list")]
    [InlineData("""{"messages":null}""", "'messages' is null")]
    [InlineData("""{"prompt":"Q"}""", "required field 'messages' is missing")]
    [InlineData("""{"messages":{"content":"Q","role":"user"}}""", "field 'messages' has the wrong type (object), expected an array of {content, role} objects")]
    public async Task Invalid_conversations_are_reported_with_file_and_line_or_skipped_and_counted(string json, string message)
    {
        using var folder = new TempDirectory();
        string path = folder.File("chat.jsonl");
        string good = """{"messages":[{"content":"Q","role":"user"},{"content":"A","role":"assistant"}]}""";
        await File.WriteAllLinesAsync(path, [good, good, json]);

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(new ConversationDataset(path).ReadAsync()));
        Assert.StartsWith($"{path}: line 3: {message}", error.Message, StringComparison.Ordinal);

        var skipping = new ConversationDataset(path, new ConversationDatasetOptions { InvalidRows = InvalidRowHandling.Skip });
        Assert.Equal(2, (await DataFixtures.ToListAsync(skipping.ReadAsync())).Count);
        Assert.Equal(1, skipping.InvalidRows.Count);
        Assert.StartsWith($"{path}: line 3: {message}", skipping.InvalidRows.FirstReasons[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_prompt_completion_pairs_are_read_and_checked()
    {
        using var folder = new TempDirectory();
        string path = folder.File("pairs.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            """{"prompt":"2+2=","completion":" 4"}""",
            """{"prompt":"3+3=","completion":""}""",
        ]);
        var dataset = new ConversationDataset(path, new ConversationDatasetOptions { InvalidRows = InvalidRowHandling.Skip });

        ConversationExample example = Assert.Single(await DataFixtures.ToListAsync(dataset.ReadAsync()));

        Assert.False(example.IsConversational);
        Assert.Equal("2+2=", example.PromptText);
        Assert.Equal(" 4", example.CompletionText);
        Assert.Equal($"{path}: line 2: 'completion' is empty", Assert.Single(dataset.InvalidRows.FirstReasons));
    }

    [Fact]
    public async Task Ultrafeedback_reads_as_sft_data_through_its_messages_column_and_plain_preferences_do_not()
    {
        // ultrafeedback_binarized carries messages (= chosen), as the Hub's train_sft split is used.
        List<ConversationExample> prefs = await DataFixtures.ToListAsync(new ConversationDataset(DataFixtures.PathOf("prefs.parquet")).ReadAsync());
        JsonElement[] twin = DataFixtures.JsonLines("prefs.jsonl");
        Assert.Equal(200, prefs.Count);
        Assert.Equal(DataFixtures.Messages(twin[3].GetProperty("chosen")), prefs[3].Messages);

        string plain = DataFixtures.PathOf("prefs-plain.jsonl");
        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(new ConversationDataset(plain).ReadAsync()));
        Assert.Equal($"{plain}: line 1: required field 'messages' is missing", error.Message);
    }

    [Theory]
    [InlineData("truncated.parquet")]
    [InlineData("empty.jsonl")]
    [InlineData("empty.parquet")]
    public async Task Broken_files_fail_with_the_file_named(string file)
    {
        string path = DataFixtures.BadPathOf(file);

        DatasetFormatException error = await Assert.ThrowsAsync<DatasetFormatException>(() => DataFixtures.ToListAsync(new ConversationDataset(path).ReadAsync()));

        Assert.Equal(path, error.FilePath);
    }
}
