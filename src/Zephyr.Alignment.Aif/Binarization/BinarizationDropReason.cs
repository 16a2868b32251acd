namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>Why a prompt gave no preference pair.</summary>
public enum BinarizationDropReason
{
    /// <summary>Fewer than two candidates have a score (generation failures, judge failures, all-N/A ratings).</summary>
    FewerThanTwoScored,

    /// <summary>All scored candidates have the same score: there is no preference to learn.</summary>
    AllScoresEqual,

    /// <summary><see cref="BinarizationStrategy.AllPairsAboveMargin"/> found no pair whose difference exceeds the margin.</summary>
    NoPairAboveMargin,

    /// <summary>Every candidate scored below the best has exactly the best one's text, so no pair would differ.</summary>
    IdenticalCompletions,
}
