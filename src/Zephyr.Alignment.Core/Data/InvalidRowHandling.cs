namespace Zephyr.Alignment.Data;

/// <summary>What a dataset does with a row it cannot use (malformed, missing fields, wrong types, bad values).</summary>
public enum InvalidRowHandling
{
    /// <summary>Throw a <see cref="DatasetFormatException"/> naming the file and the row or line. The default.</summary>
    Throw,

    /// <summary>
    /// Leave the row out and count it in the dataset's <see cref="SkipReport"/> (the count and the first reasons).
    /// Errors that concern the whole file (not Parquet, wrong schema, no records) are still thrown.
    /// </summary>
    Skip,
}
