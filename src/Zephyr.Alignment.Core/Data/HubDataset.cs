using System.Runtime.CompilerServices;

namespace Zephyr.Alignment.Data;

/// <summary>
/// Examples from a Parquet or JSON Lines file in a Hugging Face Hub schema, streamed and validated row by row:
/// the file handling, form detection order and invalid-row handling that every such dataset shares. A derived
/// dataset says which columns each example form needs, how the form is told from a file or a row, and how a row
/// becomes an example.
/// </summary>
/// <typeparam name="TExample">The example type.</typeparam>
/// <typeparam name="TOptions">The dataset's options type.</typeparam>
/// <remarks>
/// A row whose parse throws a <see cref="DatasetFormatException"/> is thrown or, with
/// <see cref="InvalidRowHandling.Skip"/>, counted in <see cref="InvalidRows"/>; errors about the whole file are
/// always thrown, and so is a file without a single valid row.
/// </remarks>
public abstract class HubDataset<TExample, TOptions>
    where TOptions : HubDatasetOptions, new()
{
    private readonly string _examplesName;

    /// <summary>Creates a dataset over <paramref name="path"/>; nothing is read until <see cref="ReadAsync"/>.</summary>
    /// <param name="path">A <c>.parquet</c>, <c>.jsonl</c> or <c>.json</c> file.</param>
    /// <param name="options">Format, example form and invalid-row handling; <see langword="null"/> for the defaults.</param>
    /// <param name="examplesName">What the examples are called in the error for a file without a valid row, e.g. <c>preference pairs</c>.</param>
    /// <exception cref="ArgumentException">The path is empty, or its format cannot be told from the extension.</exception>
    protected HubDataset(string path, TOptions? options, string examplesName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(examplesName);
        Options = options ?? new TOptions();
        Format = DatasetReader.ResolveFormat(path, Options.Format);
        Source = path;
        _examplesName = examplesName;
        InvalidRows = NewReport();
    }

    /// <summary>The file.</summary>
    public string Source { get; }

    /// <summary>The options.</summary>
    public TOptions Options { get; }

    /// <summary>The file format in use.</summary>
    public DatasetFormat Format { get; }

    /// <summary>
    /// The rows skipped by the current or latest enumeration (always 0 with <see cref="InvalidRowHandling.Throw"/>):
    /// the count and the first reasons.
    /// </summary>
    public SkipReport InvalidRows { get; private set; }

    /// <summary>
    /// When <see langword="true"/>, the first JSON Lines record whose form can be told fixes the form of the later
    /// rows; when <see langword="false"/> (the default), the form is told from each record on its own.
    /// </summary>
    protected virtual bool FirstRecordFixesForm => false;

    /// <summary>The number of records in the file: the Parquet footer's row count, or the non-blank JSON Lines lines; invalid rows included.</summary>
    /// <param name="cancellationToken">Stops the count.</param>
    public Task<long> CountRecordsAsync(CancellationToken cancellationToken = default) =>
        DatasetReader.CountRecordsAsync(Source, Format, cancellationToken);

    /// <summary>Streams the examples in file order.</summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <exception cref="DatasetFormatException">
    /// A file error, an invalid row with <see cref="InvalidRowHandling.Throw"/>, or no valid row at all.
    /// </exception>
    public async IAsyncEnumerable<TExample> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        SkipReport report = NewReport();
        InvalidRows = report;
        ExampleFormat form = Options.Examples;
        if (form == ExampleFormat.Auto && Format == DatasetFormat.Parquet)
        {
            IReadOnlyList<DatasetColumnInfo> columns = await DatasetReader.ReadColumnsAsync(Source, Format, cancellationToken).ConfigureAwait(false) ?? [];
            form = DetectForm(columns);
        }

        var readOptions = new DatasetReadOptions { Format = Format, Columns = ColumnsFor(form) };
        long yielded = 0;
        await foreach (DatasetRecord record in DatasetReader.ReadAsync(Source, readOptions, cancellationToken).ConfigureAwait(false))
        {
            TExample example;
            try
            {
                ExampleFormat rowForm = form == ExampleFormat.Auto ? DetectForm(record) : form;
                example = Parse(record, rowForm);
                if (FirstRecordFixesForm && form == ExampleFormat.Auto && rowForm != ExampleFormat.Auto)
                {
                    form = rowForm;
                }
            }
            catch (DatasetFormatException ex) when (Options.InvalidRows == InvalidRowHandling.Skip)
            {
                report.Add(ex.Message);
                continue;
            }

            yielded++;
            yield return example;
        }

        if (yielded == 0)
        {
            throw new DatasetFormatException(Source, $"no valid {_examplesName}: every record is invalid ({report})");
        }
    }

    /// <summary>The form of a Parquet file whose options leave it to <see cref="ExampleFormat.Auto"/>, from its columns.</summary>
    /// <param name="columns">The file's top-level columns.</param>
    /// <returns><see cref="ExampleFormat.Conversational"/> or <see cref="ExampleFormat.Plain"/>.</returns>
    protected abstract ExampleFormat DetectForm(IReadOnlyList<DatasetColumnInfo> columns);

    /// <summary>The form of one JSON Lines record while the file's form is still undecided.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The form, or <see cref="ExampleFormat.Auto"/> when the record does not tell.</returns>
    protected abstract ExampleFormat DetectForm(DatasetRecord record);

    /// <summary>The columns a Parquet reader checks and decodes for <paramref name="form"/>.</summary>
    /// <param name="form">The form; <see cref="ExampleFormat.Auto"/> for a JSON Lines file left to detection.</param>
    /// <returns>The columns, or <see langword="null"/> for every column.</returns>
    protected abstract IReadOnlyList<DatasetColumn>? ColumnsFor(ExampleFormat form);

    /// <summary>Reads one row as an example of <paramref name="form"/>.</summary>
    /// <param name="record">The row.</param>
    /// <param name="form">The form; <see cref="ExampleFormat.Auto"/> when the row did not tell.</param>
    /// <exception cref="DatasetFormatException">The row is invalid.</exception>
    protected abstract TExample Parse(DatasetRecord record, ExampleFormat form);

    private SkipReport NewReport() => new($"invalid rows skipped in {Source}");
}
