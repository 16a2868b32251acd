using static TorchSharp.torch;

namespace Zephyr.Alignment.Scoring;

/// <summary>The result of <see cref="TokenLogProbs.ForCompletions"/>; disposing it releases its tensors.</summary>
/// <param name="PerToken">log p of each next token <c>[B, T-1]</c>, 0 outside completions.</param>
/// <param name="Sum">Summed completion log-probs <c>[B]</c> (the DPO sequence log-prob).</param>
/// <param name="TokenCount">Completion tokens per row <c>[B]</c>, int64.</param>
public sealed record CompletionLogProbs(Tensor PerToken, Tensor Sum, Tensor TokenCount) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        PerToken.Dispose();
        Sum.Dispose();
        TokenCount.Dispose();
    }
}
