namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>Options of <see cref="PreferenceBinarizer"/>.</summary>
public sealed class BinarizationOptions
{
    /// <summary>The pairing rule. Default <see cref="BinarizationStrategy.RandomRejected"/> (the paper's).</summary>
    public BinarizationStrategy Strategy { get; set; } = BinarizationStrategy.RandomRejected;

    /// <summary>
    /// Seeds the random <c>rejected</c> pick of <see cref="BinarizationStrategy.RandomRejected"/>; the same seed gives
    /// the same dataset, whatever order prompts were processed in. Default 42 (the Zephyr recipe's seed).
    /// </summary>
    public int Seed { get; set; } = 42;

    /// <summary>
    /// For <see cref="BinarizationStrategy.AllPairsAboveMargin"/> only: the score difference a pair must exceed
    /// (strictly). Default <see langword="null"/>, which that strategy reads as 0 (any strictly better candidate);
    /// setting it with another strategy is a validation error rather than a silently ignored value.
    /// </summary>
    public double? Margin { get; set; }
}
