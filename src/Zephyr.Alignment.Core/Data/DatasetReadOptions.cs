namespace Zephyr.Alignment.Data;

/// <summary>Options for <see cref="DatasetReader"/>.</summary>
public sealed class DatasetReadOptions
{
    /// <summary>The file format. Default: <see cref="DatasetFormat.Auto"/> (from the extension).</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;

    /// <summary>
    /// The columns to read. For Parquet, each is checked against the footer schema before the first row (a missing
    /// required column or a wrong type is a schema error) and only these columns are decoded. <see langword="null"/>
    /// (the default) reads every column of a supported type. JSON Lines records always carry all their fields; their
    /// types are checked by the <see cref="DatasetRecord"/> getters.
    /// </summary>
    public IReadOnlyList<DatasetColumn>? Columns { get; init; }
}
