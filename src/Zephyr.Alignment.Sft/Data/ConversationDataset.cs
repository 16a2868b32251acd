using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Sft.Data;

/// <summary>
/// SFT examples from a Parquet or JSON Lines file in the schema of <c>HuggingFaceH4/ultrachat_200k</c>
/// (<c>prompt</c>, <c>prompt_id</c>, <c>messages</c>) or as plain <c>{prompt, completion}</c> pairs, streamed and
/// validated row by row.
/// </summary>
/// <remarks>
/// Reported problems (a <see cref="DatasetFormatException"/> naming the file and row or line, or skipped and counted
/// in <see cref="HubDataset{TExample, TOptions}.InvalidRows"/>): invalid JSON, missing fields, wrong types, a null or empty <c>messages</c> list,
/// an unknown role, roles out of order (an optional system message, then user and assistant alternating from the
/// user), a conversation with no assistant turn, an empty prompt or completion. File errors are always thrown.
/// </remarks>
public sealed class ConversationDataset : HubDataset<ConversationExample, ConversationDatasetOptions>
{
    /// <summary>Creates a dataset over <paramref name="path"/>; nothing is read until <see cref="HubDataset{TExample, TOptions}.ReadAsync"/>.</summary>
    /// <param name="path">A <c>.parquet</c>, <c>.jsonl</c> or <c>.json</c> file.</param>
    /// <param name="options">Format, example form and invalid-row handling; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The path is empty, or its format cannot be told from the extension.</exception>
    public ConversationDataset(string path, ConversationDatasetOptions? options = null)
        : base(path, options, "examples")
    {
    }

    /// <summary>Reads an <c>ultrachat_200k</c> row.</summary>
    /// <param name="record">The row.</param>
    /// <exception cref="DatasetFormatException">The row is invalid.</exception>
    public static ConversationExample ParseConversational(DatasetRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        IReadOnlyList<ConversationMessage> messages = record.GetMessages("messages");
        if (messages.Count == 0)
        {
            throw record.CreateError("'messages' is an empty list", "messages");
        }

        try
        {
            Conversation.ValidateAlternation(messages);
        }
        catch (FormatException ex)
        {
            throw record.CreateError($"'messages': roles out of order: {ex.Message}", "messages", ex);
        }

        if (!messages.Any(m => m.Role == MessageRole.Assistant))
        {
            throw record.CreateError("'messages' has no assistant turn (nothing to learn from)", "messages");
        }

        return new ConversationExample
        {
            Messages = messages,
            PromptId = record.GetOptionalString("prompt_id"),
            Source = record.SourceLocation,
        };
    }

    /// <summary>Reads a plain <c>{prompt, completion}</c> row.</summary>
    /// <param name="record">The row.</param>
    /// <exception cref="DatasetFormatException">The row is invalid.</exception>
    public static ConversationExample ParsePlain(DatasetRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string prompt = record.GetString("prompt");
        string completion = record.GetString("completion");
        if (string.IsNullOrWhiteSpace(prompt))
        {
            throw record.CreateError("'prompt' is empty", "prompt");
        }

        if (string.IsNullOrWhiteSpace(completion))
        {
            throw record.CreateError("'completion' is empty", "completion");
        }

        return new ConversationExample
        {
            PromptText = prompt,
            CompletionText = completion,
            PromptId = record.GetOptionalString("prompt_id"),
            Source = record.SourceLocation,
        };
    }

    /// <inheritdoc />
    protected override ExampleFormat DetectForm(IReadOnlyList<DatasetColumnInfo> columns)
    {
        bool hasMessages = columns.Any(c => c.Name == "messages");
        bool hasCompletion = columns.Any(c => c.Name == "completion");
        return !hasMessages && hasCompletion ? ExampleFormat.Plain : ExampleFormat.Conversational;
    }

    /// <inheritdoc />
    protected override ExampleFormat DetectForm(DatasetRecord record) =>
        record.GetKind("messages") == DatasetValueKind.Missing && record.GetKind("completion") != DatasetValueKind.Missing
            ? ExampleFormat.Plain
            : ExampleFormat.Conversational;

    /// <inheritdoc />
    protected override IReadOnlyList<DatasetColumn>? ColumnsFor(ExampleFormat form) => form switch
    {
        ExampleFormat.Conversational =>
            [new("messages", DatasetColumnKind.Messages), new("prompt_id", DatasetColumnKind.String, Required: false)],
        ExampleFormat.Plain =>
            [new("prompt", DatasetColumnKind.String), new("completion", DatasetColumnKind.String), new("prompt_id", DatasetColumnKind.String, Required: false)],
        _ => null,
    };

    /// <inheritdoc />
    protected override ConversationExample Parse(DatasetRecord record, ExampleFormat form) =>
        form == ExampleFormat.Plain ? ParsePlain(record) : ParseConversational(record);
}
