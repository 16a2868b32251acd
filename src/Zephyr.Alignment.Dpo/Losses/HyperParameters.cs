namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>Range checks shared by the losses, so every bad value is reported with its name and value.</summary>
internal static class HyperParameters
{
    /// <summary>Label smoothing ε must lie in [0, 0.5): at 0.5 the labels carry no information and robust DPO divides by zero.</summary>
    public static double LabelSmoothing(double value, string name)
    {
        if (!(value >= 0 && value < 0.5))
        {
            throw new ArgumentOutOfRangeException(name, value, $"label_smoothing must be in [0, 0.5), got {value}.");
        }

        return value;
    }

    public static double Positive(double value, string name, string trlName)
    {
        if (!double.IsFinite(value) || value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{trlName} must be a finite number > 0, got {value}.");
        }

        return value;
    }
}
