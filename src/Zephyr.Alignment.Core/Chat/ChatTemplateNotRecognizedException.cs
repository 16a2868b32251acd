namespace Zephyr.Alignment.Chat;

/// <summary>
/// A checkpoint's Jinja <c>chat_template</c> is missing or is not one <see cref="ChatTemplateRecognizer"/> can
/// reproduce exactly. Select a template by name through <see cref="ChatTemplates"/> instead.
/// </summary>
public sealed class ChatTemplateNotRecognizedException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public ChatTemplateNotRecognizedException()
        : base("The chat template is not recognised; select a template by name.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ChatTemplateNotRecognizedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the exception that caused it.</summary>
    public ChatTemplateNotRecognizedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a template read from <paramref name="sourceFile"/>.</summary>
    /// <param name="message">The explanation, naming the file.</param>
    /// <param name="sourceFile">The <c>tokenizer_config.json</c> the template came from, if known.</param>
    public ChatTemplateNotRecognizedException(string message, string? sourceFile)
        : base(message)
    {
        SourceFile = sourceFile;
    }

    /// <summary>The file the template came from, or <see langword="null"/> when it was passed as a string.</summary>
    public string? SourceFile { get; }
}
