namespace Zephyr.Alignment.Data;

/// <summary>The value types dataset readers understand.</summary>
public enum DatasetColumnKind
{
    /// <summary>A UTF-8 string (Parquet <c>binary (UTF8)</c>/<c>STRING</c>, JSON string).</summary>
    String,

    /// <summary>A number (Parquet <c>double</c>, <c>float</c>, <c>int32</c>, <c>int64</c>; JSON number), read as <see cref="double"/>.</summary>
    Number,

    /// <summary>A list of <c>{content, role}</c> structs, the <c>messages</c> type of Hugging Face chat datasets.</summary>
    Messages,
}
