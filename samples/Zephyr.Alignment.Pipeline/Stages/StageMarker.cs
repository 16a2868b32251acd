using System.Text.Json;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>
/// The record a finished stage leaves in its folder (its result as JSON). With <c>--resume</c> a stage that has one is
/// skipped and its result read back; a stage without one is run again (the training stages resume from their checkpoint).
/// </summary>
internal static class StageMarker
{
    public static bool TryRead<T>(RunLayout layout, string stage, out T? result)
    {
        string path = layout.DoneMarker(stage);
        result = default;
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            result = JsonSerializer.Deserialize<T>(File.ReadAllText(path));
            return result is not null;
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"The stage record '{path}' is corrupt ({exception.Message}); delete it to run the stage '{stage}' again.", exception);
        }
    }

    public static void Write<T>(RunLayout layout, string stage, T result)
    {
        string path = layout.DoneMarker(stage);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        JsonLinesFile.WriteText(path, JsonSerializer.Serialize(result));
    }
}
