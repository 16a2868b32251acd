namespace Zephyr.Alignment.IO;

/// <summary>
/// Writes a file under a temporary name in the target's folder, flushes it to disk and then moves it over the target, so
/// a reader (or a run that crashes half-way) never sees half a file: the target is either the old file, whole, or the new
/// one, whole. On failure the temporary file is deleted and the target is left as it was.
/// </summary>
/// <remarks>
/// The temporary file is named <c>.{file name}.{random}.tmp</c> and lives next to the target, so the final move is a
/// rename within one file system. The target's folder is created when missing.
/// </remarks>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, replacing any existing file whole.</summary>
    /// <param name="path">The file to write; its folder is created when missing.</param>
    /// <param name="write">Writes the whole content to the stream it is given (a new file opened for writing).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names no file.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        (string full, string temporary) = Prepare(path);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            DeleteIfPresent(temporary);
        }
    }

    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, replacing any existing file whole.</summary>
    /// <param name="path">The file to write; its folder is created when missing.</param>
    /// <param name="write">Writes the whole content to the stream it is given (a new file opened for asynchronous writing).</param>
    /// <param name="cancellationToken">Cancels the write; the target is then left as it was.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or names no file.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        (string full, string temporary) = Prepare(path);
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            DeleteIfPresent(temporary);
        }
    }

    private static (string Full, string Temporary) Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            throw new ArgumentException($"'{path}' names a folder, not a file.", nameof(path));
        }

        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        return (full, Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp"));
    }

    private static void DeleteIfPresent(string temporary)
    {
        if (File.Exists(temporary))
        {
            File.Delete(temporary);
        }
    }
}
