namespace Zephyr.Alignment.Data;

/// <summary>What a field of a <see cref="DatasetRecord"/> holds.</summary>
public enum DatasetValueKind
{
    /// <summary>The record has no such field (JSON key absent, or Parquet column not in the file).</summary>
    Missing,

    /// <summary>The field is null.</summary>
    Null,

    /// <summary>A string.</summary>
    String,

    /// <summary>A number.</summary>
    Number,

    /// <summary><see langword="true"/> or <see langword="false"/>.</summary>
    Boolean,

    /// <summary>A list (JSON array, Parquet list).</summary>
    Array,

    /// <summary>A JSON object (a single struct).</summary>
    Object,
}
