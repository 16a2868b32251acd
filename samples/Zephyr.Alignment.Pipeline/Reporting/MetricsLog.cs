using System.Text.Json;

namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>Reads a stage's <c>metrics.jsonl</c> back: one series of (step, value) per metric, training and <c>eval_</c> lines alike.</summary>
internal static class MetricsLog
{
    public static Dictionary<string, List<(double Step, double Value)>> Read(string stageFolder)
    {
        string path = Path.Combine(stageFolder, "metrics.jsonl");
        var series = new Dictionary<string, List<(double, double)>>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return series;
        }

        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            try
            {
                using JsonDocument document = JsonDocument.Parse(text);
                double step = document.RootElement.GetProperty("step").GetDouble();
                foreach (JsonProperty property in document.RootElement.EnumerateObject())
                {
                    if (property.Name is "step" or "epoch" || property.Value.ValueKind != JsonValueKind.Number)
                    {
                        continue;
                    }

                    if (!series.TryGetValue(property.Name, out var points))
                    {
                        series[property.Name] = points = [];
                    }

                    points.Add((step, property.Value.GetDouble()));
                }
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"'{path}' line {line} is not a metrics record: {exception.Message}", exception);
            }
        }

        return series;
    }
}
