using System.Numerics;
using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace Zephyr.Alignment.Data;

/// <summary>
/// Reads Parquet one row group at a time with Parquet.Net's column API, rebuilding list cells from the
/// definition and repetition levels so that a null list and an empty list stay different.
/// </summary>
/// <remarks>
/// Parquet.Net's typed serializer is not used: it fills a missing or mistyped column with nulls without a word,
/// so the schema is checked here against the footer before any row is decoded.
/// </remarks>
internal static class ParquetRecordReader
{
    private const string MessagesTypeName = "list<struct<content: string, role: string>>";
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    internal static async IAsyncEnumerable<DatasetRecord> ReadAsync(
        Stream stream,
        string filePath,
        IReadOnlyList<DatasetColumn>? columns,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ParquetReader reader = await OpenAsync(stream, filePath, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            ColumnPlan[] plan = Plan(reader.Schema, columns, filePath);
            if (reader.Metadata?.NumRows is null or 0)
            {
                throw new DatasetFormatException(filePath, "empty dataset: the file contains no records");
            }

            long firstRow = 0;
            for (int group = 0; group < reader.RowGroupCount; group++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Dictionary<string, object?>[] rows = await ReadRowGroupAsync(reader, group, firstRow, plan, filePath, cancellationToken).ConfigureAwait(false);
                for (int i = 0; i < rows.Length; i++)
                {
                    yield return new DatasetRecord(filePath, firstRow + i, rows[i]);
                }

                firstRow += rows.Length;
            }
        }
    }

    internal static async Task<long> CountRowsAsync(Stream stream, string filePath, CancellationToken cancellationToken)
    {
        ParquetReader reader = await OpenAsync(stream, filePath, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return reader.Metadata?.NumRows ?? 0;
        }
    }

    internal static async Task<IReadOnlyList<DatasetColumnInfo>> ReadColumnsAsync(Stream stream, string filePath, CancellationToken cancellationToken)
    {
        ParquetReader reader = await OpenAsync(stream, filePath, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            return reader.Schema.Fields.Select(f => new DatasetColumnInfo(f.Name, Classify(f, out _), TypeName(f))).ToArray();
        }
    }

    private static async Task<ParquetReader> OpenAsync(Stream stream, string filePath, CancellationToken cancellationToken)
    {
        if (!stream.CanRead || !stream.CanSeek)
        {
            throw new ArgumentException("Reading Parquet needs a readable, seekable stream (the footer is at the end).", nameof(stream));
        }

        // Checked here because Parquet.Net's messages for these cases do not say which end is wrong.
        long length = stream.Length;
        if (length < 12)
        {
            throw new DatasetFormatException(filePath, length == 0
                ? "not a valid Parquet file: the file is empty (0 bytes; the minimum is 12: \"PAR1\", footer length, \"PAR1\")"
                : $"not a valid Parquet file: {length} bytes is smaller than the 12-byte minimum (\"PAR1\", footer length, \"PAR1\")");
        }

        byte[] head = new byte[4];
        byte[] tail = new byte[4];
        stream.Position = 0;
        await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        stream.Position = length - 4;
        await stream.ReadExactlyAsync(tail, cancellationToken).ConfigureAwait(false);
        stream.Position = 0;
        if (!head.AsSpan().SequenceEqual(Magic))
        {
            throw new DatasetFormatException(filePath, $"not a Parquet file: bad magic bytes at offset 0 ({Printable(head)}, expected \"PAR1\")");
        }

        if (!tail.AsSpan().SequenceEqual(Magic))
        {
            throw new DatasetFormatException(filePath, $"not a valid Parquet file: truncated or missing footer (the last 4 bytes are {Printable(tail)}, expected \"PAR1\")");
        }

        try
        {
            return await ParquetReader.CreateAsync(stream, parquetOptions: null, leaveStreamOpen: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new DatasetFormatException(filePath, $"not a valid Parquet file: the footer cannot be read ({ex.Message})", ex);
        }
    }

    private static string Printable(byte[] bytes) =>
        "\"" + string.Concat(bytes.Select(b => b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}")) + "\"";

    private static ColumnPlan[] Plan(ParquetSchema schema, IReadOnlyList<DatasetColumn>? columns, string filePath)
    {
        var plans = new List<ColumnPlan>();
        if (columns is null)
        {
            foreach (Field field in schema.Fields)
            {
                if (Classify(field, out ColumnPlan? plan) is not null)
                {
                    plans.Add(plan!);
                }
            }

            return [.. plans];
        }

        foreach (DatasetColumn column in columns)
        {
            Field? field = schema.Fields.FirstOrDefault(f => string.Equals(f.Name, column.Name, StringComparison.Ordinal));
            if (field is null)
            {
                if (column.Required)
                {
                    throw new DatasetFormatException(filePath, row: null, line: null, column.Name, $"schema error: required column '{column.Name}' is missing");
                }

                continue;
            }

            DatasetColumnKind? kind = Classify(field, out ColumnPlan? found);
            if (kind != column.Kind)
            {
                throw new DatasetFormatException(filePath, row: null, line: null, column.Name,
                    $"schema error: column '{column.Name}' has type {TypeName(field)}, expected {TypeName(column.Kind)}");
            }

            plans.Add(found!);
        }

        return [.. plans];
    }

    private static string TypeName(DatasetColumnKind kind) => kind switch
    {
        DatasetColumnKind.String => "string",
        DatasetColumnKind.Number => "double",
        _ => MessagesTypeName,
    };

    private static DatasetColumnKind? Classify(Field field, out ColumnPlan? plan)
    {
        plan = null;
        switch (field)
        {
            case DataField { IsArray: false } data when IsString(data):
                plan = new ColumnPlan(field.Name, DatasetColumnKind.String, data, null, null, null, null);
                return DatasetColumnKind.String;
            case DataField { IsArray: false } data when IsNumber(data):
                plan = new ColumnPlan(field.Name, DatasetColumnKind.Number, data, null, null, null, null);
                return DatasetColumnKind.Number;
            case ListField { Item: StructField element } list:
                DataField? content = element.Fields.OfType<DataField>().FirstOrDefault(f => f.Name == "content" && !f.IsArray && IsString(f));
                DataField? role = element.Fields.OfType<DataField>().FirstOrDefault(f => f.Name == "role" && !f.IsArray && IsString(f));
                if (content is null || role is null)
                {
                    return null;
                }

                plan = new ColumnPlan(field.Name, DatasetColumnKind.Messages, null, list, element, content, role);
                return DatasetColumnKind.Messages;
            default:
                return null;
        }
    }

    private static bool IsString(DataField field) =>
        field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    private static bool IsNumber(DataField field) =>
        field.ClrType == typeof(double) || field.ClrType == typeof(float) || field.ClrType == typeof(int) || field.ClrType == typeof(long);

    private static string TypeName(Field field) => field switch
    {
        DataField { IsArray: true } data => $"list<{ScalarName(data)}>",
        DataField data => ScalarName(data),
        ListField list => $"list<{TypeName(list.Item)}>",
        StructField @struct => "struct<" + string.Join(", ", @struct.Fields.Select(f => $"{f.Name}: {TypeName(f)}")) + ">",
        MapField map => $"map<{TypeName(map.Key)}, {TypeName(map.Value)}>",
        _ => field.SchemaType.ToString().ToLowerInvariant(),
    };

    private static string ScalarName(DataField field) =>
        IsString(field) ? "string"
        : field.ClrType == typeof(double) ? "double"
        : field.ClrType == typeof(float) ? "float"
        : field.ClrType == typeof(int) ? "int32"
        : field.ClrType == typeof(long) ? "int64"
        : field.ClrType == typeof(bool) ? "boolean"
        : field.ClrType == typeof(byte[]) ? "binary"
        : field.ClrType.Name.ToLowerInvariant();

    private static async Task<Dictionary<string, object?>[]> ReadRowGroupAsync(
        ParquetReader reader, int group, long firstRow, ColumnPlan[] plan, string filePath, CancellationToken cancellationToken)
    {
        ParquetRowGroupReader rowGroup = reader.OpenRowGroupReader(group);
        int count = checked((int)rowGroup.RowCount);
        var rows = new Dictionary<string, object?>[count];
        for (int i = 0; i < count; i++)
        {
            rows[i] = new Dictionary<string, object?>(plan.Length, StringComparer.Ordinal);
        }

        foreach (ColumnPlan column in plan)
        {
            object?[] values;
            try
            {
                values = column.Kind switch
                {
                    DatasetColumnKind.String => await ReadStringsAsync(rowGroup, column.Data!, count, cancellationToken).ConfigureAwait(false),
                    DatasetColumnKind.Number => await ReadNumbersAsync(rowGroup, column.Data!, count, cancellationToken).ConfigureAwait(false),
                    _ => await ReadMessagesAsync(rowGroup, column, count, cancellationToken).ConfigureAwait(false),
                };
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not DatasetFormatException)
            {
                throw new DatasetFormatException(filePath, firstRow, line: null, column.Name,
                    $"column '{column.Name}' of row group {group} (rows {firstRow}-{firstRow + count - 1}) cannot be read ({ex.Message})", ex);
            }

            for (int i = 0; i < count; i++)
            {
                rows[i][column.Name] = values[i];
            }
        }

        return rows;
    }

    private static async Task<object?[]> ReadStringsAsync(ParquetRowGroupReader rowGroup, DataField field, int count, CancellationToken cancellationToken)
    {
        using RawColumnData raw = await rowGroup.ReadRawColumnDataBaseAsync(field, cancellationToken).ConfigureAwait(false);
        return ToStrings(raw, field, count);
    }

    private static object?[] ToStrings(RawColumnData raw, DataField field, int count)
    {
        var typed = raw as RawColumnData<ReadOnlyMemory<char>>
            ?? throw new InvalidDataException($"expected string data, got {raw.GetType().Name}");
        Span<ReadOnlyMemory<char>> values = typed.Values;
        var result = new object?[count];
        if (field.MaxDefinitionLevel == 0)
        {
            CheckCount(values.Length, count);
            for (int i = 0; i < count; i++)
            {
                result[i] = new string(values[i].Span);
            }

            return result;
        }

        Span<int> definitions = raw.DefinitionLevels;
        CheckCount(definitions.Length, count);
        int next = 0;
        for (int i = 0; i < count; i++)
        {
            result[i] = definitions[i] == field.MaxDefinitionLevel ? new string(values[next++].Span) : null;
        }

        return result;
    }

    private static async Task<object?[]> ReadNumbersAsync(ParquetRowGroupReader rowGroup, DataField field, int count, CancellationToken cancellationToken)
    {
        using RawColumnData raw = await rowGroup.ReadRawColumnDataBaseAsync(field, cancellationToken).ConfigureAwait(false);
        return raw switch
        {
            RawColumnData<double> d => ToNumbers(d, field, count),
            RawColumnData<float> f => ToNumbers(f, field, count),
            RawColumnData<int> i => ToNumbers(i, field, count),
            RawColumnData<long> l => ToNumbers(l, field, count),
            _ => throw new InvalidDataException($"expected numeric data, got {raw.GetType().Name}"),
        };
    }

    private static object?[] ToNumbers<T>(RawColumnData<T> raw, DataField field, int count)
        where T : struct, INumberBase<T>
    {
        Span<T> values = raw.Values;
        var result = new object?[count];
        Span<int> definitions = field.MaxDefinitionLevel == 0 ? default : raw.DefinitionLevels;
        CheckCount(field.MaxDefinitionLevel == 0 ? values.Length : definitions.Length, count);
        int next = 0;
        for (int i = 0; i < count; i++)
        {
            bool present = field.MaxDefinitionLevel == 0 || definitions[i] == field.MaxDefinitionLevel;
            result[i] = present ? double.CreateChecked(values[next++]) : null;
        }

        return result;
    }

    private static async Task<object?[]> ReadMessagesAsync(ParquetRowGroupReader rowGroup, ColumnPlan column, int count, CancellationToken cancellationToken)
    {
        List<(bool Present, string? Value)>?[] contents;
        List<(bool Present, string? Value)>?[] roles;
        using (RawColumnData raw = await rowGroup.ReadRawColumnDataBaseAsync(column.Content!, cancellationToken).ConfigureAwait(false))
        {
            contents = Assemble(raw, column, column.Content!, count);
        }

        using (RawColumnData raw = await rowGroup.ReadRawColumnDataBaseAsync(column.Role!, cancellationToken).ConfigureAwait(false))
        {
            roles = Assemble(raw, column, column.Role!, count);
        }

        var result = new object?[count];
        for (int i = 0; i < count; i++)
        {
            if (contents[i] is null || roles[i] is null)
            {
                if ((contents[i] is null) != (roles[i] is null))
                {
                    throw new InvalidDataException("the content and role columns disagree on which lists are null");
                }

                continue;
            }

            List<(bool Present, string? Value)> c = contents[i]!;
            List<(bool Present, string? Value)> r = roles[i]!;
            if (c.Count != r.Count)
            {
                throw new InvalidDataException("the content and role columns have different list lengths");
            }

            var cells = new MessageCell[c.Count];
            for (int j = 0; j < cells.Length; j++)
            {
                cells[j] = new MessageCell(c[j].Present && r[j].Present, c[j].Value, r[j].Value);
            }

            result[i] = cells;
        }

        return result;
    }

    /// <summary>
    /// Rebuilds per-row lists of one leaf of <c>list&lt;struct&lt;...&gt;&gt;</c> from its levels: a new row starts at
    /// repetition level 0; below the list's own definition level the list is null, at it the list is empty, below
    /// the struct's level the element is null, and only at the leaf's maximum level is there a value.
    /// </summary>
    private static List<(bool Present, string? Value)>?[] Assemble(RawColumnData raw, ColumnPlan column, DataField leaf, int count)
    {
        var typed = raw as RawColumnData<ReadOnlyMemory<char>>
            ?? throw new InvalidDataException($"expected string data, got {raw.GetType().Name}");
        Span<ReadOnlyMemory<char>> values = typed.Values;
        Span<int> definitions = raw.DefinitionLevels;
        Span<int> repetitions = raw.RepetitionLevels;
        if (definitions.Length != repetitions.Length)
        {
            throw new InvalidDataException("definition and repetition levels differ in length");
        }

        int listDefined = column.List!.MaxDefinitionLevel - 1;
        int elementDefined = column.Element!.MaxDefinitionLevel;
        var rows = new List<(bool Present, string? Value)>?[count];
        int row = -1;
        int next = 0;
        for (int k = 0; k < definitions.Length; k++)
        {
            int definition = definitions[k];
            if (repetitions[k] == 0)
            {
                row++;
                if (row >= count)
                {
                    throw new InvalidDataException($"more lists than the row group's {count} rows");
                }

                if (definition < listDefined)
                {
                    continue;
                }

                rows[row] = [];
                if (definition == listDefined)
                {
                    continue;
                }
            }
            else if (row < 0 || rows[row] is null)
            {
                throw new InvalidDataException("a list element continues a null or missing list");
            }

            if (definition < elementDefined)
            {
                rows[row]!.Add((false, null));
            }
            else if (definition == leaf.MaxDefinitionLevel)
            {
                rows[row]!.Add((true, new string(values[next++].Span)));
            }
            else
            {
                rows[row]!.Add((true, null));
            }
        }

        CheckCount(row + 1, count);
        return rows;
    }

    private static void CheckCount(int actual, int expected)
    {
        if (actual != expected)
        {
            throw new InvalidDataException($"the column has {actual} values for {expected} rows");
        }
    }

    private sealed record ColumnPlan(
        string Name,
        DatasetColumnKind Kind,
        DataField? Data,
        ListField? List,
        StructField? Element,
        DataField? Content,
        DataField? Role);
}
