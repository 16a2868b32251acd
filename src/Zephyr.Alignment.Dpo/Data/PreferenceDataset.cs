using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>
/// Preference pairs from a Parquet or JSON Lines file in the schema of <c>HuggingFaceH4/ultrafeedback_binarized</c>
/// or in TRL's plain <c>{prompt, chosen, rejected}</c> form, streamed and validated row by row.
/// </summary>
/// <remarks>
/// <para><b>Conversational rows</b> (<c>prompt</c>, <c>prompt_id</c>, <c>chosen</c>, <c>rejected</c>, <c>messages</c>,
/// <c>score_chosen</c>, <c>score_rejected</c>): <c>chosen</c> and <c>rejected</c> are the whole conversations. As TRL's
/// <c>extract_prompt</c> does, the prompt is every message before the final assistant turn; <c>chosen[:-1]</c> must
/// equal <c>rejected[:-1]</c> and both must end with an assistant message. The <c>prompt</c> string and the
/// <c>messages</c> list are not needed and not read.</para>
/// <para><b>Plain rows</b>: <c>prompt</c>, <c>chosen</c> and <c>rejected</c> are strings; the prompt goes to
/// <see cref="PreferenceExample.PromptText"/> and is tokenized as is, without a chat template.</para>
/// <para><b>Reported problems</b> (a <see cref="DatasetFormatException"/> naming the file and the row or line, or
/// skipped and counted in <see cref="HubDataset{TExample, TOptions}.InvalidRows"/>): invalid JSON, missing fields, wrong types, null or empty
/// lists, unknown roles, roles out of order, a conversation without a prompt, different prompts in
/// <c>chosen</c> and <c>rejected</c>, empty completions, and identical chosen and rejected completions (a pair
/// with no preference signal). File errors (not Parquet, wrong schema, no records) are always thrown.</para>
/// <example>
/// <code>
/// var data = new PreferenceDataset("train_prefs.parquet", new PreferenceDatasetOptions { InvalidRows = InvalidRowHandling.Skip });
/// await foreach (PreferenceExample pair in data.ReadAsync(ct)) { ... }
/// Console.WriteLine(data.InvalidRows);   // "2 invalid rows skipped in train_prefs.parquet; first 2: ..."
/// </code>
/// </example>
/// </remarks>
public sealed class PreferenceDataset : HubDataset<PreferenceExample, PreferenceDatasetOptions>, IPreferenceDataset
{
    private static readonly DatasetColumn[] OptionalColumns =
    [
        new("prompt_id", DatasetColumnKind.String, Required: false),
        new("score_chosen", DatasetColumnKind.Number, Required: false),
        new("score_rejected", DatasetColumnKind.Number, Required: false),
    ];

    /// <summary>Creates a dataset over <paramref name="path"/>; nothing is read until <see cref="HubDataset{TExample, TOptions}.ReadAsync"/>.</summary>
    /// <param name="path">A <c>.parquet</c>, <c>.jsonl</c> or <c>.json</c> file.</param>
    /// <param name="options">Format, example form and invalid-row handling; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The path is empty, or its format cannot be told from the extension.</exception>
    public PreferenceDataset(string path, PreferenceDatasetOptions? options = null)
        : base(path, options, "preference pairs")
    {
    }

    /// <inheritdoc />
    /// <remarks>A JSON Lines file's form is fixed by its first usable record, so later rows are held to it.</remarks>
    protected override bool FirstRecordFixesForm => true;

    /// <summary>Reads a conversational (<c>ultrafeedback_binarized</c>) row.</summary>
    /// <param name="record">The row.</param>
    /// <exception cref="DatasetFormatException">The row is invalid.</exception>
    public static PreferenceExample ParseConversational(DatasetRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        IReadOnlyList<ConversationMessage> chosen = ReadConversation(record, "chosen");
        IReadOnlyList<ConversationMessage> rejected = ReadConversation(record, "rejected");
        if (chosen.Count < 2)
        {
            throw record.CreateError("'chosen' has no prompt before its final assistant message", "chosen");
        }

        int shared = 0;
        int prefix = Math.Min(chosen.Count, rejected.Count) - 1;
        while (shared < prefix && chosen[shared] == rejected[shared])
        {
            shared++;
        }

        if (chosen.Count != rejected.Count || shared != chosen.Count - 1)
        {
            throw record.CreateError(
                $"'chosen' and 'rejected' do not share the same prompt (chosen[:-1] != rejected[:-1]; {chosen.Count} and {rejected.Count} messages, first difference at message {shared})",
                "rejected");
        }

        try
        {
            Conversation.ValidateAlternation(chosen);
        }
        catch (FormatException ex)
        {
            throw record.CreateError($"'chosen': {ex.Message}", "chosen", ex);
        }

        string chosenText = chosen[^1].Content;
        string rejectedText = rejected[^1].Content;
        CheckCompletions(record, chosenText, rejectedText);
        return WithOptionalColumns(record, new PreferenceExample
        {
            Prompt = chosen.Take(chosen.Count - 1).ToArray(),
            Chosen = chosenText,
            Rejected = rejectedText,
        });
    }

    /// <summary>Reads a plain <c>{prompt, chosen, rejected}</c> row.</summary>
    /// <param name="record">The row.</param>
    /// <exception cref="DatasetFormatException">The row is invalid.</exception>
    public static PreferenceExample ParsePlain(DatasetRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string prompt = record.GetString("prompt");
        string chosen = record.GetString("chosen");
        string rejected = record.GetString("rejected");
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw record.CreateError("'prompt' is empty", "prompt");
        }

        CheckCompletions(record, chosen, rejected);
        return WithOptionalColumns(record, new PreferenceExample
        {
            Prompt = [],
            PromptText = prompt,
            Chosen = chosen,
            Rejected = rejected,
        });
    }

    /// <summary><paramref name="example"/> with the <see cref="OptionalColumns"/> of its row and the row's location.</summary>
    private static PreferenceExample WithOptionalColumns(DatasetRecord record, PreferenceExample example) => example with
    {
        PromptId = record.GetOptionalString("prompt_id"),
        ScoreChosen = record.GetOptionalNumber("score_chosen"),
        ScoreRejected = record.GetOptionalNumber("score_rejected"),
        Source = record.SourceLocation,
    };

    private static IReadOnlyList<ConversationMessage> ReadConversation(DatasetRecord record, string field)
    {
        IReadOnlyList<ConversationMessage> messages = record.GetMessages(field);
        if (messages.Count == 0)
        {
            throw record.CreateError($"'{field}' is an empty list (no assistant completion)", field);
        }

        if (messages[^1].Role != MessageRole.Assistant)
        {
            throw record.CreateError($"'{field}' does not end with an assistant message (last role: {messages[^1].Role.ToWireName()})", field);
        }

        return messages;
    }

    private static void CheckCompletions(DatasetRecord record, string chosen, string rejected)
    {
        if (string.IsNullOrWhiteSpace(chosen))
        {
            throw record.CreateError("the 'chosen' completion is empty", "chosen");
        }

        if (string.IsNullOrWhiteSpace(rejected))
        {
            throw record.CreateError("the 'rejected' completion is empty", "rejected");
        }

        if (string.Equals(chosen, rejected, StringComparison.Ordinal))
        {
            throw record.CreateError("the 'chosen' and 'rejected' completions are identical (no preference signal)", "rejected");
        }
    }

    /// <inheritdoc />
    protected override ExampleFormat DetectForm(DatasetRecord record) => record.GetKind("chosen") switch
    {
        DatasetValueKind.String => ExampleFormat.Plain,
        DatasetValueKind.Array => ExampleFormat.Conversational,

        // Neither: judged as conversational (the Hub schema), which reports the field; the form stays undecided.
        _ => ExampleFormat.Auto,
    };

    /// <inheritdoc />
    protected override ExampleFormat DetectForm(IReadOnlyList<DatasetColumnInfo> columns)
    {
        DatasetColumnKind? KindOf(string name) => columns.FirstOrDefault(c => c.Name == name)?.Kind;

        // Plain only when both completions are strings; anything else is held to the Hub's conversational schema,
        // whose check names the column that does not fit.
        return KindOf("chosen") == DatasetColumnKind.String && KindOf("rejected") == DatasetColumnKind.String
            ? ExampleFormat.Plain
            : ExampleFormat.Conversational;
    }

    /// <inheritdoc />
    protected override IReadOnlyList<DatasetColumn>? ColumnsFor(ExampleFormat form) => form switch
    {
        ExampleFormat.Conversational =>
            [new("chosen", DatasetColumnKind.Messages), new("rejected", DatasetColumnKind.Messages), .. OptionalColumns],
        ExampleFormat.Plain =>
            [new("prompt", DatasetColumnKind.String), new("chosen", DatasetColumnKind.String), new("rejected", DatasetColumnKind.String), .. OptionalColumns],
        _ => null,
    };

    /// <inheritdoc />
    protected override PreferenceExample Parse(DatasetRecord record, ExampleFormat form) =>
        form == ExampleFormat.Plain ? ParsePlain(record) : ParseConversational(record);
}
