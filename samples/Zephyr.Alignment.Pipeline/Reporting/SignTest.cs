namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>The exact sign test: is one side of a paired comparison preferred more often than a fair coin would give?</summary>
internal static class SignTest
{
    /// <summary>
    /// The two-sided p-value of <paramref name="wins"/> against <paramref name="losses"/> under a fair coin (ties are left out
    /// before calling): twice the binomial tail of the smaller count, at most 1.
    /// </summary>
    /// <param name="wins">Pairs the first side won.</param>
    /// <param name="losses">Pairs the first side lost.</param>
    /// <returns>The p-value; 1 when there are no decided pairs.</returns>
    public static double TwoSidedP(int wins, int losses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(wins);
        ArgumentOutOfRangeException.ThrowIfNegative(losses);
        int n = wins + losses;
        int smaller = Math.Min(wins, losses);

        // P(X <= smaller) for X ~ Binomial(n, 1/2), the probability masses built up in log space so that no term
        // underflows before it is added (a term too small for a double adds nothing anyway).
        double logMass = n * Math.Log(0.5);
        double tail = 0;
        for (int k = 0; k <= smaller; k++)
        {
            tail += Math.Exp(logMass);
            logMass += Math.Log(n - k) - Math.Log(k + 1);
        }

        return Math.Min(1.0, 2 * tail);
    }
}
