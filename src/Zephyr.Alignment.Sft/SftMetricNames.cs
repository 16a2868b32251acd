namespace Zephyr.Alignment.Sft;

/// <summary>
/// Metric keys the SFT stage adds to those of <see cref="Training.MetricNames"/> (<c>loss</c>, <c>mean_token_accuracy</c>,
/// <c>num_tokens</c>, …).
/// </summary>
public static class SftMetricNames
{
    /// <summary>
    /// <c>perplexity</c>: <c>exp(loss)</c>; reported in evaluation as <c>eval_perplexity</c> = <c>exp(eval_loss)</c>, the
    /// exponential of the mean per-token negative log-likelihood of the evaluation data.
    /// </summary>
    public const string Perplexity = "perplexity";
}
