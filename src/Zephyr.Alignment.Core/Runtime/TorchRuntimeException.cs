namespace Zephyr.Alignment.Runtime;

/// <summary>TorchSharp's native libraries could not be loaded; the message says what is missing and what to do.</summary>
public sealed class TorchRuntimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchRuntimeException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
