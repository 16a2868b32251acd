namespace Zephyr.Alignment.Data;

/// <summary>
/// A dataset file, or one of its rows, cannot be used. The message starts with the file path and, for a row
/// error, the 0-based Parquet row (<c>row 3</c>) or the 1-based JSON Lines line (<c>line 7</c>).
/// </summary>
public class DatasetFormatException : FormatException
{
    /// <summary>Creates an error for a whole file.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="detail">What is wrong, without the location.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DatasetFormatException(string filePath, string detail, Exception? innerException = null)
        : this(filePath, row: null, line: null, field: null, detail, innerException)
    {
    }

    /// <summary>Creates an error for a row or line of a file.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="row">0-based row index (Parquet), or <see langword="null"/>.</param>
    /// <param name="line">1-based line number (JSON Lines), or <see langword="null"/>.</param>
    /// <param name="field">The field concerned, or <see langword="null"/>.</param>
    /// <param name="detail">What is wrong, without the location.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DatasetFormatException(string filePath, long? row, long? line, string? field, string detail, Exception? innerException = null)
        : base(Compose(filePath, row, line, detail), innerException)
    {
        ArgumentNullException.ThrowIfNull(filePath);
        ArgumentNullException.ThrowIfNull(detail);
        FilePath = filePath;
        Row = row;
        Line = line;
        Field = field;
        Detail = detail;
    }

    /// <summary>The file the error is about.</summary>
    public string FilePath { get; }

    /// <summary>0-based row index for Parquet files; <see langword="null"/> for file errors and JSON Lines.</summary>
    public long? Row { get; }

    /// <summary>1-based line number for JSON Lines files; <see langword="null"/> for file errors and Parquet.</summary>
    public long? Line { get; }

    /// <summary>The field (column) concerned, when the error is about one.</summary>
    public string? Field { get; }

    /// <summary>The message without the file and location prefix.</summary>
    public string Detail { get; }

    /// <summary><c>row N</c>, <c>line N</c>, or <see langword="null"/> for an error about the whole file.</summary>
    public string? Location => Describe(Row, Line);

    internal static string? Describe(long? row, long? line) =>
        row is { } r ? $"row {r}" : line is { } l ? $"line {l}" : null;

    private static string Compose(string filePath, long? row, long? line, string detail) =>
        Describe(row, line) is { } where ? $"{filePath}: {where}: {detail}" : $"{filePath}: {detail}";
}
