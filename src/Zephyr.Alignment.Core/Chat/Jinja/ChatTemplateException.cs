namespace Zephyr.Alignment.Chat;

/// <summary>
/// A Jinja chat template that this library's interpreter cannot parse or render: a syntax error, or a construct
/// (tag, filter, test, method or function) outside the supported subset. The message names the construct, the file
/// and the line. Conversation errors the template raises itself (<c>raise_exception</c>) are
/// <see cref="FormatException"/>s instead.
/// </summary>
public sealed class ChatTemplateException : NotSupportedException
{
    /// <summary>Creates the exception.</summary>
    public ChatTemplateException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public ChatTemplateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ChatTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception naming the construct and where it is.</summary>
    /// <param name="construct">The unsupported or malformed construct, e.g. <c>filter 'wordwrap'</c>.</param>
    /// <param name="problem">What is wrong with it.</param>
    /// <param name="sourceFile">The file the template came from, or <see langword="null"/>.</param>
    /// <param name="line">The 1-based line in the template.</param>
    public ChatTemplateException(string construct, string problem, string? sourceFile, int line)
        : base($"Chat template{(sourceFile is null ? string.Empty : $" '{sourceFile}'")}, line {line}: {construct}: {problem}")
    {
        Construct = construct;
        SourceFile = sourceFile;
        Line = line;
    }

    /// <summary>The construct the interpreter could not handle, or <see langword="null"/>.</summary>
    public string? Construct { get; }

    /// <summary>The file the template came from, or <see langword="null"/>.</summary>
    public string? SourceFile { get; }

    /// <summary>The 1-based line of the construct in the template, or 0.</summary>
    public int Line { get; }
}
