using System.Text.Json;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Data;

/// <summary>
/// One row of a dataset file (a Parquet row or a JSON Lines record), with typed access to its fields and errors
/// that name the file and the row or line.
/// </summary>
/// <remarks>
/// A JSON Lines line that is not valid JSON still yields a record, whose <see cref="Error"/> is set and whose
/// getters throw that error: the dataset on top decides whether to throw or to skip and count it.
/// </remarks>
public sealed class DatasetRecord
{
    private readonly JsonElement _json;
    private readonly IReadOnlyDictionary<string, object?>? _columns;

    internal DatasetRecord(string filePath, long line, JsonElement json)
    {
        FilePath = filePath;
        Line = line;
        _json = json;
    }

    internal DatasetRecord(string filePath, long row, IReadOnlyDictionary<string, object?> columns)
    {
        FilePath = filePath;
        Row = row;
        _columns = columns;
    }

    internal DatasetRecord(DatasetFormatException error)
    {
        FilePath = error.FilePath;
        Row = error.Row;
        Line = error.Line;
        Error = error;
    }

    /// <summary>The file the record was read from.</summary>
    public string FilePath { get; }

    /// <summary>0-based row index in a Parquet file (across row groups), or <see langword="null"/>.</summary>
    public long? Row { get; }

    /// <summary>1-based line number in a JSON Lines file, or <see langword="null"/>.</summary>
    public long? Line { get; }

    /// <summary><c>row N</c> or <c>line N</c>.</summary>
    public string Location => DatasetFormatException.Describe(Row, Line) ?? "record";

    /// <summary><c>{file}: row N</c> or <c>{file}: line N</c>, for <see cref="PreferenceExample.Source"/> and messages.</summary>
    public string SourceLocation => $"{FilePath}: {Location}";

    /// <summary>Set when the record could not be parsed at all (e.g. invalid JSON); every getter then throws it.</summary>
    public DatasetFormatException? Error { get; }

    /// <summary>An error about this record, naming its file and row or line.</summary>
    /// <param name="detail">What is wrong.</param>
    /// <param name="field">The field concerned, if any.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public DatasetFormatException CreateError(string detail, string? field = null, Exception? innerException = null) =>
        new(FilePath, Row, Line, field, detail, innerException);

    /// <summary>What the field <paramref name="name"/> holds.</summary>
    /// <param name="name">The field (column) name.</param>
    public DatasetValueKind GetKind(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfInvalid();
        if (_columns is not null)
        {
            if (!_columns.TryGetValue(name, out object? value))
            {
                return DatasetValueKind.Missing;
            }

            return value switch
            {
                null => DatasetValueKind.Null,
                string => DatasetValueKind.String,
                double => DatasetValueKind.Number,
                _ => DatasetValueKind.Array,
            };
        }

        if (!_json.TryGetProperty(name, out JsonElement element))
        {
            return DatasetValueKind.Missing;
        }

        return KindOf(element);
    }

    /// <summary>A required, non-null string field.</summary>
    /// <param name="name">The field name.</param>
    /// <exception cref="DatasetFormatException">The field is missing, null or not a string.</exception>
    public string GetString(string name) =>
        GetOptionalString(name) ?? throw (GetKind(name) == DatasetValueKind.Missing
            ? CreateError($"required field '{name}' is missing", name)
            : CreateError($"'{name}' is null", name));

    /// <summary>An optional string field: <see langword="null"/> when missing or null.</summary>
    /// <param name="name">The field name.</param>
    /// <exception cref="DatasetFormatException">The field holds something other than a string.</exception>
    public string? GetOptionalString(string name)
    {
        DatasetValueKind kind = GetKind(name);
        switch (kind)
        {
            case DatasetValueKind.Missing:
            case DatasetValueKind.Null:
                return null;
            case DatasetValueKind.String:
                return _columns is not null ? (string)_columns[name]! : ReadJsonString(_json.GetProperty(name), $"'{name}'", name);
            default:
                throw CreateError($"field '{name}' has the wrong type ({Describe(kind)}), expected a string", name);
        }
    }

    /// <summary>An optional number field: <see langword="null"/> when missing or null.</summary>
    /// <param name="name">The field name.</param>
    /// <exception cref="DatasetFormatException">The field holds something other than a number.</exception>
    public double? GetOptionalNumber(string name)
    {
        DatasetValueKind kind = GetKind(name);
        switch (kind)
        {
            case DatasetValueKind.Missing:
            case DatasetValueKind.Null:
                return null;
            case DatasetValueKind.Number:
                if (_columns is not null)
                {
                    return (double)_columns[name]!;
                }

                if (_json.GetProperty(name).TryGetDouble(out double value) && double.IsFinite(value))
                {
                    return value;
                }

                throw CreateError($"'{name}' is not a finite double", name);
            default:
                throw CreateError($"field '{name}' has the wrong type ({Describe(kind)}), expected a number", name);
        }
    }

    /// <summary>
    /// A required list of <c>{content, role}</c> messages (the <c>messages</c> type of chat datasets); it may be
    /// empty, which the caller judges.
    /// </summary>
    /// <param name="name">The field name.</param>
    /// <exception cref="DatasetFormatException">
    /// The field is missing, null or not a list; an item is null or not a <c>{content, role}</c> struct; a content
    /// or role is missing or null; or a role is not one of <c>system</c>, <c>user</c>, <c>assistant</c>.
    /// </exception>
    public IReadOnlyList<ConversationMessage> GetMessages(string name)
    {
        DatasetValueKind kind = GetKind(name);
        switch (kind)
        {
            case DatasetValueKind.Missing:
                throw CreateError($"required field '{name}' is missing", name);
            case DatasetValueKind.Null:
                throw CreateError($"'{name}' is null", name);
            case DatasetValueKind.Array:
                break;
            default:
                throw CreateError($"field '{name}' has the wrong type ({Describe(kind)}), expected an array of {{content, role}} objects", name);
        }

        if (_columns is not null)
        {
            if (_columns[name] is not MessageCell[] cells)
            {
                throw CreateError($"field '{name}' has the wrong type, expected an array of {{content, role}} objects", name);
            }

            var messages = new ConversationMessage[cells.Length];
            for (int i = 0; i < cells.Length; i++)
            {
                MessageCell cell = cells[i];
                if (!cell.Present)
                {
                    throw CreateError($"'{name}'[{i}] is null, expected a {{content, role}} struct", name);
                }

                messages[i] = ToMessage(name, i, cell.Content, cell.Content is null ? DatasetValueKind.Null : DatasetValueKind.String, cell.Role, cell.Role is null ? DatasetValueKind.Null : DatasetValueKind.String);
            }

            return messages;
        }

        JsonElement array = _json.GetProperty(name);
        var result = new ConversationMessage[array.GetArrayLength()];
        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw CreateError($"'{name}'[{index}] has the wrong type ({Describe(KindOf(item))}), expected a {{content, role}} object", name);
            }

            string? content = null;
            string? role = null;
            DatasetValueKind contentKind = DatasetValueKind.Missing;
            DatasetValueKind roleKind = DatasetValueKind.Missing;
            if (item.TryGetProperty("content", out JsonElement c))
            {
                contentKind = KindOf(c);
                content = contentKind == DatasetValueKind.String ? ReadJsonString(c, $"'{name}'[{index}].content", name) : null;
            }

            if (item.TryGetProperty("role", out JsonElement r))
            {
                roleKind = KindOf(r);
                role = roleKind == DatasetValueKind.String ? ReadJsonString(r, $"'{name}'[{index}].role", name) : null;
            }

            result[index] = ToMessage(name, index, content, contentKind, role, roleKind);
            index++;
        }

        return result;
    }

    private ConversationMessage ToMessage(string name, int index, string? content, DatasetValueKind contentKind, string? role, DatasetValueKind roleKind)
    {
        string where = $"'{name}'[{index}]";
        if (roleKind != DatasetValueKind.String)
        {
            throw CreateError(roleKind == DatasetValueKind.Missing ? $"{where} has no 'role'" : $"{where}.role is {Describe(roleKind)}, expected a string", name);
        }

        if (!MessageRoles.TryParse(role, out MessageRole parsed))
        {
            throw CreateError($"{where} has unknown role '{role}' (expected system, user or assistant)", name);
        }

        if (contentKind != DatasetValueKind.String)
        {
            throw CreateError(contentKind == DatasetValueKind.Missing ? $"{where} has no 'content'" : $"{where}.content is {Describe(contentKind)}, expected a string", name);
        }

        return new ConversationMessage(parsed, content!);
    }

    private string ReadJsonString(JsonElement element, string what, string field)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json refuses escapes such as a lone surrogate (\ud800) that are not valid UTF-16 text.
            throw CreateError($"{what} is not valid Unicode text", field, ex);
        }
    }

    private void ThrowIfInvalid()
    {
        if (Error is not null)
        {
            throw Error;
        }
    }

    private static DatasetValueKind KindOf(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null => DatasetValueKind.Null,
        JsonValueKind.String => DatasetValueKind.String,
        JsonValueKind.Number => DatasetValueKind.Number,
        JsonValueKind.True or JsonValueKind.False => DatasetValueKind.Boolean,
        JsonValueKind.Array => DatasetValueKind.Array,
        JsonValueKind.Object => DatasetValueKind.Object,
        _ => DatasetValueKind.Missing,
    };

    private static string Describe(DatasetValueKind kind) => kind switch
    {
        DatasetValueKind.Missing => "missing",
        DatasetValueKind.Null => "null",
        DatasetValueKind.String => "string",
        DatasetValueKind.Number => "number",
        DatasetValueKind.Boolean => "boolean",
        DatasetValueKind.Array => "array",
        DatasetValueKind.Object => "object",
        _ => kind.ToString(),
    };
}
