namespace Zephyr.Alignment.Data;

/// <summary>
/// How a <see cref="HubDataset{TExample, TOptions}"/> reads its file: the file format, the example form and what to
/// do with invalid rows. Each dataset has its own options type deriving from this one.
/// </summary>
public abstract class HubDatasetOptions
{
    /// <summary>The file format. Default: <see cref="DatasetFormat.Auto"/> (<c>.parquet</c>, <c>.jsonl</c>, <c>.json</c>).</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>
    /// Conversational (message lists) or plain (strings). Default: <see cref="ExampleFormat.Auto"/>, decided by the
    /// dataset from the Parquet columns or the JSON Lines records, as its options type describes.
    /// </summary>
    public ExampleFormat Examples { get; init; } = ExampleFormat.Auto;

    /// <summary>
    /// Throw on the first invalid row (the default), or skip invalid rows and count them in
    /// <see cref="HubDataset{TExample, TOptions}.InvalidRows"/>.
    /// </summary>
    public InvalidRowHandling InvalidRows { get; init; } = InvalidRowHandling.Throw;
}
