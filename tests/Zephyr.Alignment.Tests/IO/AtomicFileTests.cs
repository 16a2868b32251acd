using Zephyr.Alignment.IO;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.IO;

/// <summary>AtomicFile writes through a temporary file that never remains, and replaces the target whole or not at all.</summary>
public sealed class AtomicFileTests
{
    [Fact]
    public void A_new_file_is_written_in_a_created_folder_and_no_temporary_file_remains()
    {
        using var folder = new TempDirectory();
        string path = Path.Combine(folder.Path, "a", "b", "out.bin");

        AtomicFile.Write(path, stream => stream.Write([1, 2, 3]));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["out.bin"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void An_existing_larger_file_is_replaced_whole()
    {
        using var folder = new TempDirectory();
        string path = folder.File("out.txt");
        File.WriteAllText(path, "a much longer old content");

        AtomicFile.Write(path, stream => stream.Write("new"u8));

        Assert.Equal("new", File.ReadAllText(path)); // no tail of the old content
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void While_writing_the_target_still_holds_the_old_content()
    {
        using var folder = new TempDirectory();
        string path = folder.File("out.txt");
        File.WriteAllText(path, "old");
        string? seenDuringWrite = null;

        AtomicFile.Write(path, stream =>
        {
            stream.Write("new"u8);
            stream.Flush();
            seenDuringWrite = File.ReadAllText(path);
        });

        Assert.Equal("old", seenDuringWrite);
        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void A_failing_write_leaves_the_old_target_and_no_temporary_file()
    {
        using var folder = new TempDirectory();
        string path = folder.File("out.txt");
        File.WriteAllText(path, "old");

        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write("half of the new"u8);
            throw new InvalidOperationException("disk on fire");
        }));

        Assert.Equal("disk on fire", error.Message);
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["out.txt"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_failing_async_write_creates_no_target_and_no_temporary_file()
    {
        using var folder = new TempDirectory();
        string path = folder.File("out.json");

        await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync("{\"half\":"u8.ToArray(), ct);
            throw new IOException("no space left");
        }));

        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public async Task A_cancelled_async_write_leaves_the_old_target_and_no_temporary_file()
    {
        using var folder = new TempDirectory();
        string path = folder.File("out.json");
        File.WriteAllText(path, "old");
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync("new"u8.ToArray(), ct);
            await cancellation.CancelAsync();
        }, cancellation.Token));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["out.json"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task An_async_write_replaces_the_target()
    {
        using var folder = new TempDirectory();
        string path = folder.File("out.json");
        File.WriteAllText(path, "old old old");

        await AtomicFile.WriteAsync(path, (stream, ct) => stream.WriteAsync("{}"u8.ToArray(), ct).AsTask());

        Assert.Equal("{}", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void A_folder_path_is_rejected()
    {
        using var folder = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() => AtomicFile.Write(folder.Path + Path.DirectorySeparatorChar, _ => { }));
        Assert.Contains("names a folder", error.Message, StringComparison.Ordinal);
    }
}
