using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>Element-wise comparisons that report the worst difference they saw.</summary>
internal static class Approx
{
    public static double[] Values(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    public static double Mean(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().mean().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>Asserts |actual − expected| ≤ rel·|expected| element-wise; returns the largest relative difference (0 where both are 0).</summary>
    public static double Relative(double[] expected, double[] actual, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            double relative = diff == 0 ? 0 : diff / Math.Abs(expected[i]);
            worst = Math.Max(worst, relative);
            Assert.True(
                diff <= rel * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (relative difference {relative:E2} > {rel:E0}).");
        }

        return worst;
    }

    /// <summary>Asserts |actual − expected| ≤ abs + rel·|expected| element-wise; returns the largest absolute difference.</summary>
    public static double Mixed(double[] expected, double[] actual, double abs, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            worst = Math.Max(worst, diff);
            Assert.True(
                diff <= abs + rel * Math.Abs(expected[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {diff:E2} > {abs:E0} + {rel:E0}·|expected|).");
        }

        return worst;
    }
}
