namespace Zephyr.Alignment.Data;

/// <summary>The file format of a dataset file.</summary>
public enum DatasetFormat
{
    /// <summary>Chosen from the file extension: <c>.parquet</c> is Parquet; <c>.jsonl</c> and <c>.json</c> are JSON Lines.</summary>
    Auto,

    /// <summary>Apache Parquet, as the Hugging Face Hub serves datasets; read one row group at a time.</summary>
    Parquet,

    /// <summary>JSON Lines: one JSON object per line (the <c>json</c> loader of Hugging Face <c>datasets</c>); read line by line.</summary>
    JsonLines,
}
