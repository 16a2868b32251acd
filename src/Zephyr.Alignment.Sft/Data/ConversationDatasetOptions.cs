using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Sft.Data;

/// <summary>Options for <see cref="ConversationDataset"/>.</summary>
public sealed class ConversationDatasetOptions
{
    /// <summary>The file format. Default: <see cref="DatasetFormat.Auto"/> (<c>.parquet</c>, <c>.jsonl</c>, <c>.json</c>).</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>
    /// Conversational (<c>messages</c> lists) or plain (<c>{prompt, completion}</c> strings). Default:
    /// <see cref="ExampleFormat.Auto"/>: a <c>messages</c> column or field means conversational, else a
    /// <c>completion</c> one means plain.
    /// </summary>
    public ExampleFormat Examples { get; init; } = ExampleFormat.Auto;

    /// <summary>Throw on the first invalid row (the default), or skip and count invalid rows in <see cref="ConversationDataset.InvalidRows"/>.</summary>
    public InvalidRowHandling InvalidRows { get; init; } = InvalidRowHandling.Throw;
}
