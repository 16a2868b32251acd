using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>Options for <see cref="PreferenceDataset"/>.</summary>
public sealed class PreferenceDatasetOptions
{
    /// <summary>The file format. Default: <see cref="DatasetFormat.Auto"/> (<c>.parquet</c>, <c>.jsonl</c>, <c>.json</c>).</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>
    /// Conversational (<c>ultrafeedback_binarized</c>: <c>chosen</c>/<c>rejected</c> message lists) or plain
    /// (<c>{prompt, chosen, rejected}</c> strings). Default: <see cref="ExampleFormat.Auto"/>, decided from the
    /// Parquet column types or the first JSON Lines record.
    /// </summary>
    public ExampleFormat Examples { get; init; } = ExampleFormat.Auto;

    /// <summary>
    /// Throw on the first invalid row (the default), or skip invalid rows and count them in
    /// <see cref="PreferenceDataset.InvalidRows"/>.
    /// </summary>
    public InvalidRowHandling InvalidRows { get; init; } = InvalidRowHandling.Throw;
}
