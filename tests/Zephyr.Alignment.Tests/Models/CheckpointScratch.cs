namespace Zephyr.Alignment.Tests.Models;

/// <summary>A temporary folder, deleted on dispose, with helpers to copy fixtures into it.</summary>
internal sealed class CheckpointScratch : IDisposable
{
    public CheckpointScratch()
    {
        Root = Path.Combine(Path.GetTempPath(), "zephyr-models-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>Copies a fixture folder (writable) and returns its path.</summary>
    public string CopyFixture(string fixture, string? as_ = null)
    {
        string destination = PathOf(as_ ?? fixture);
        Directory.CreateDirectory(destination);
        foreach (string file in Directory.EnumerateFiles(ModelFixtures.PathOf(fixture)))
        {
            string target = Path.Combine(destination, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetAttributes(target, FileAttributes.Normal);
        }

        return destination;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
