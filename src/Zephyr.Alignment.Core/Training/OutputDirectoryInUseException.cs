namespace Zephyr.Alignment.Training;

/// <summary>
/// A fresh run was pointed at a folder that holds another run's output (checkpoints, metrics, a trained model); the
/// message names them and says how to resume that run or overwrite it.
/// </summary>
public sealed class OutputDirectoryInUseException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message, naming the folder, its artefacts and the ways on.</param>
    /// <param name="outputDirectory">The folder.</param>
    /// <param name="artefacts">The earlier run's artefacts found in it.</param>
    public OutputDirectoryInUseException(string message, string outputDirectory, IReadOnlyList<string> artefacts)
        : base(message)
    {
        OutputDirectory = outputDirectory;
        Artefacts = artefacts;
    }

    /// <summary>The output folder (full path).</summary>
    public string OutputDirectory { get; }

    /// <summary>The earlier run's files and folders found in <see cref="OutputDirectory"/> (full paths).</summary>
    public IReadOnlyList<string> Artefacts { get; }
}
