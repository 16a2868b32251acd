namespace Zephyr.Alignment.Aif.Judging;

/// <summary>How a candidate's aspect ratings become its one score.</summary>
public enum ScoreAggregation
{
    /// <summary>
    /// The mean of the numeric ratings (N/A left out). The default, and the convention of the rebuilt
    /// <c>ultrafeedback_binarized</c> (Argilla's cleaned version averages the four aspect ratings).
    /// </summary>
    Mean,

    /// <summary>The lowest numeric rating: a candidate is only as good as its weakest aspect.</summary>
    Minimum,
}
