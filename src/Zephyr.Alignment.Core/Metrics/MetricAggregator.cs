namespace Zephyr.Alignment.Training;

/// <summary>
/// Weighted means of named metrics over a logging window (or an evaluation run), in the order the names first
/// appeared, as TRL averages its stored metrics at each log.
/// </summary>
public sealed class MetricAggregator
{
    private readonly List<string> order = [];
    private readonly Dictionary<string, (double Sum, double Weight)> totals = new(StringComparer.Ordinal);

    /// <summary>True when nothing was added since the last <see cref="Clear"/>.</summary>
    public bool IsEmpty => order.Count == 0;

    /// <summary>Adds one value of <paramref name="name"/> with weight <paramref name="weight"/>.</summary>
    /// <param name="name">The metric key.</param>
    /// <param name="value">The value.</param>
    /// <param name="weight">Its weight in the mean; must be positive and finite.</param>
    public void Add(string name, double value, double weight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!(weight > 0) || !double.IsFinite(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, $"The weight of metric '{name}' must be a finite number > 0.");
        }

        if (totals.TryGetValue(name, out var total))
        {
            totals[name] = (total.Sum + (value * weight), total.Weight + weight);
        }
        else
        {
            order.Add(name);
            totals[name] = (value * weight, weight);
        }
    }

    /// <summary>Adds every value of <paramref name="metrics"/> with the same weight.</summary>
    /// <param name="metrics">Metric values by key.</param>
    /// <param name="weight">Their weight in the means.</param>
    public void Add(IReadOnlyDictionary<string, double> metrics, double weight = 1.0)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        foreach (var (name, value) in metrics)
        {
            Add(name, value, weight);
        }
    }

    /// <summary>The weighted mean of every metric, keys prefixed with <paramref name="prefix"/>.</summary>
    /// <param name="prefix">Prepended to every key, e.g. <see cref="MetricNames.EvalPrefix"/>.</param>
    public Dictionary<string, double> Means(string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var means = new Dictionary<string, double>(order.Count, StringComparer.Ordinal);
        foreach (string name in order)
        {
            var (sum, weight) = totals[name];
            means[prefix + name] = sum / weight;
        }

        return means;
    }

    /// <summary>Forgets every value.</summary>
    public void Clear()
    {
        order.Clear();
        totals.Clear();
    }
}
