namespace Zephyr.Alignment.Data;

/// <summary>A column a reader should read and check against a Parquet file's schema.</summary>
/// <param name="Name">The top-level column name, e.g. <c>chosen</c>.</param>
/// <param name="Kind">The type the column must have.</param>
/// <param name="Required">When <see langword="true"/>, a file without the column fails with a schema error before any row is read.</param>
public sealed record DatasetColumn(string Name, DatasetColumnKind Kind, bool Required = true);
