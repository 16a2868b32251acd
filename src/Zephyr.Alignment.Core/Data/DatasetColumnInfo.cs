namespace Zephyr.Alignment.Data;

/// <summary>A top-level column of a Parquet file as its footer describes it.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Kind">The kind readers understand, or <see langword="null"/> for any other type.</param>
/// <param name="TypeName">The type in Arrow-like notation, e.g. <c>list&lt;struct&lt;content: string, role: string&gt;&gt;</c>.</param>
public sealed record DatasetColumnInfo(string Name, DatasetColumnKind? Kind, string TypeName);
