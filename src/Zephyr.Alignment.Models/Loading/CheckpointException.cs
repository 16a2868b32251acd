namespace Zephyr.Alignment.Models;

/// <summary>
/// A checkpoint folder or file cannot be read or written: the message, <see cref="FilePath"/> and (when one is involved)
/// <see cref="TensorName"/> say which file and which tensor.
/// </summary>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file and tensor.</param>
    /// <param name="filePath">The file or folder at fault.</param>
    /// <param name="tensorName">The tensor at fault, or <see langword="null"/> when the problem is not about one tensor.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CheckpointException(string message, string filePath, string? tensorName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file or folder at fault.</summary>
    public string FilePath { get; }

    /// <summary>The tensor at fault, or <see langword="null"/>.</summary>
    public string? TensorName { get; }
}
