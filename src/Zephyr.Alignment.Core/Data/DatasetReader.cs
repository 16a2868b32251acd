using System.Runtime.CompilerServices;

namespace Zephyr.Alignment.Data;

/// <summary>
/// Streams the rows of Hugging Face dataset files (Parquet as the Hub serves them, and JSON Lines) as
/// <see cref="DatasetRecord"/>s, without loading a whole file.
/// </summary>
/// <remarks>
/// <para><b>Parquet</b> is read one row group at a time, decoding only the requested columns; memory is bounded by
/// the largest row group. The magic bytes are checked first, then the footer schema against
/// <see cref="DatasetReadOptions.Columns"/>, so a broken or mismatched file fails before any row is returned.</para>
/// <para><b>JSON Lines</b> is read line by line; blank lines are ignored but still counted, so
/// <see cref="DatasetRecord.Line"/> is the line an editor shows.</para>
/// <para>A file with no records fails with "empty dataset: the file contains no records".</para>
/// </remarks>
public static class DatasetReader
{
    /// <summary>The format of <paramref name="path"/>: <paramref name="format"/> when explicit, else from the extension.</summary>
    /// <param name="path">The file path or name.</param>
    /// <param name="format">An explicit format, or <see cref="DatasetFormat.Auto"/>.</param>
    /// <exception cref="ArgumentException">The format is <see cref="DatasetFormat.Auto"/> and the extension is not <c>.parquet</c>, <c>.jsonl</c> or <c>.json</c>.</exception>
    public static DatasetFormat ResolveFormat(string path, DatasetFormat format = DatasetFormat.Auto)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (format != DatasetFormat.Auto)
        {
            return format;
        }

        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".parquet" => DatasetFormat.Parquet,
            ".jsonl" or ".json" => DatasetFormat.JsonLines,
            _ => throw new ArgumentException(
                $"Cannot tell the format of '{path}' from its extension '{extension}'; use .parquet, .jsonl or .json, or set the format explicitly.",
                nameof(path)),
        };
    }

    /// <summary>Streams the records of a file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Format and columns; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <exception cref="DatasetFormatException">The file is not valid Parquet, its schema does not match, or it has no records.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IAsyncEnumerable<DatasetRecord> ReadAsync(string path, DatasetReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new DatasetReadOptions();
        DatasetFormat format = ResolveFormat(path, options.Format);
        return ReadFileAsync(path, format, options.Columns, cancellationToken);
    }

    /// <summary>Streams the records of an open stream (seekable for Parquet); the stream is left open.</summary>
    /// <param name="stream">The data.</param>
    /// <param name="sourceName">The name used in errors and to pick the format when it is <see cref="DatasetFormat.Auto"/>.</param>
    /// <param name="options">Format and columns; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <exception cref="DatasetFormatException">The data is not valid Parquet, its schema does not match, or it has no records.</exception>
    public static IAsyncEnumerable<DatasetRecord> ReadAsync(Stream stream, string sourceName, DatasetReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        options ??= new DatasetReadOptions();
        DatasetFormat format = ResolveFormat(sourceName, options.Format);
        return format == DatasetFormat.Parquet
            ? ParquetRecordReader.ReadAsync(stream, sourceName, options.Columns, cancellationToken)
            : JsonLinesRecordReader.ReadAsync(stream, sourceName, cancellationToken);
    }

    /// <summary>
    /// The number of records: for Parquet the row count in the footer (no row data is read); for JSON Lines the
    /// number of non-blank lines (lines are scanned, not parsed).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="format">The format, or <see cref="DatasetFormat.Auto"/>.</param>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <exception cref="DatasetFormatException">The file is not valid Parquet.</exception>
    public static async Task<long> CountRecordsAsync(string path, DatasetFormat format = DatasetFormat.Auto, CancellationToken cancellationToken = default)
    {
        format = ResolveFormat(path, format);
        await using FileStream stream = OpenRead(path);
        return format == DatasetFormat.Parquet
            ? await ParquetRecordReader.CountRowsAsync(stream, path, cancellationToken).ConfigureAwait(false)
            : await JsonLinesRecordReader.CountLinesAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The top-level columns of a Parquet file from its footer; <see langword="null"/> for JSON Lines, which has no schema.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">The format, or <see cref="DatasetFormat.Auto"/>.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="DatasetFormatException">The file is not valid Parquet.</exception>
    public static async Task<IReadOnlyList<DatasetColumnInfo>?> ReadColumnsAsync(string path, DatasetFormat format = DatasetFormat.Auto, CancellationToken cancellationToken = default)
    {
        format = ResolveFormat(path, format);
        if (format != DatasetFormat.Parquet)
        {
            return null;
        }

        await using FileStream stream = OpenRead(path);
        return await ParquetRecordReader.ReadColumnsAsync(stream, path, cancellationToken).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<DatasetRecord> ReadFileAsync(
        string path,
        DatasetFormat format,
        IReadOnlyList<DatasetColumn>? columns,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using FileStream stream = OpenRead(path);
        IAsyncEnumerable<DatasetRecord> records = format == DatasetFormat.Parquet
            ? ParquetRecordReader.ReadAsync(stream, path, columns, cancellationToken)
            : JsonLinesRecordReader.ReadAsync(stream, path, cancellationToken);
        await foreach (DatasetRecord record in records.ConfigureAwait(false))
        {
            yield return record;
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan });
}
