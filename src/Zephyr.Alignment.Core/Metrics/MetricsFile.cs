using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Zephyr.Alignment.Training;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per log, <c>{"step": 10, "epoch": 0.5, "loss": 1.23, ...}</c>. Values that
/// JSON cannot hold (NaN, ±infinity) are written as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>.
/// </summary>
internal sealed class MetricsFile(string path)
{
    public string Path { get; } = path;

    public void Append(long step, double epoch, IReadOnlyDictionary<string, double> metrics)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            WriteNumber(json, "epoch", epoch);
            foreach (var (name, value) in metrics)
            {
                if (name != MetricNames.Epoch)
                {
                    WriteNumber(json, name, value);
                }
            }

            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read);
        buffer.Position = 0;
        buffer.CopyTo(file);
    }

    /// <summary>
    /// Keeps only the lines of steps up to <paramref name="step"/>: a resumed run drops what the interrupted run logged
    /// after its checkpoint, and a fresh run (step 0) starts an empty file.
    /// </summary>
    public void TruncateAfter(long step)
    {
        if (!File.Exists(Path))
        {
            return;
        }

        var kept = new StringBuilder();
        if (step > 0)
        {
            foreach (string line in File.ReadLines(Path))
            {
                if (line.Length > 0 && StepOf(line) is long logged && logged <= step)
                {
                    kept.Append(line).Append('\n');
                }
            }
        }

        File.WriteAllText(Path, kept.ToString());
    }

    private static long? StepOf(string line)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("step", out JsonElement value) && value.TryGetInt64(out long step) ? step : null;
        }
        catch (JsonException)
        {
            // A line cut short by a crash cannot be trusted; dropping it is what a resume wants.
            return null;
        }
    }

    private static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
        }
    }
}
