using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models.Generation;

/// <summary>
/// Turns next-token logits into token ids with Hugging Face's logits processors, in its order: repetition penalty, then,
/// when sampling, temperature, top-k, top-p and a multinomial draw from a seeded generator on the model's device.
/// </summary>
internal sealed class Sampler : IDisposable
{
    private readonly GenerationOptions options;
    private readonly Generator? generator;

    public Sampler(GenerationOptions options, Device device)
    {
        this.options = options;
        if (options.IsSampling)
        {
            // One generator per generation call, on the model's device, so draws never depend on other torch users.
            ulong seed = options.Seed is { } s ? unchecked((ulong)s) : unchecked((ulong)Random.Shared.NextInt64());
            generator = new Generator(seed, device);
        }
    }

    /// <summary>Picks the next token of every row.</summary>
    /// <param name="logits">Next-token logits <c>[B, V]</c>, float32.</param>
    /// <param name="seen">Ids already in each row <c>[B, V]</c> (bool), for the repetition penalty; null when it is off.</param>
    /// <returns>The chosen ids <c>[B]</c>, int64, in the current dispose scope.</returns>
    public Tensor Select(Tensor logits, Tensor? seen)
    {
        Tensor scores = logits;
        if (seen is not null && options.RepetitionPenalty != 1.0)
        {
            scores = ApplyRepetitionPenalty(scores, seen, options.RepetitionPenalty);
        }

        if (!options.IsSampling)
        {
            return scores.argmax(-1); // [B]
        }

        scores = scores / options.Temperature;
        if (options.TopK > 0)
        {
            scores = ApplyTopK(scores, options.TopK);
        }

        if (options.TopP < 1.0)
        {
            scores = ApplyTopP(scores, options.TopP);
        }

        Tensor probabilities = scores.softmax(-1); // [B, V]; filtered ids are -inf, so probability 0
        return probabilities.multinomial(1, generator: generator).squeeze(1); // [B]
    }

    /// <summary>
    /// Hugging Face's <c>RepetitionPenaltyLogitsProcessor</c>: for every seen id, a negative logit is multiplied by the
    /// penalty and any other is divided by it, so with a penalty above 1 a seen id always becomes less likely.
    /// </summary>
    /// <param name="logits"><c>[B, V]</c>.</param>
    /// <param name="seen"><c>[B, V]</c> bool.</param>
    /// <param name="penalty">Above 0; 1 changes nothing.</param>
    public static Tensor ApplyRepetitionPenalty(Tensor logits, Tensor seen, double penalty)
    {
        using var scope = NewDisposeScope();
        Tensor penalized = where(logits.lt(0), logits * penalty, logits / penalty); // [B, V]
        return where(seen, penalized, logits).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Hugging Face's <c>TopKLogitsWarper</c>: logits below the k-th largest of their row become -inf (ties with the k-th
    /// survive, as there).
    /// </summary>
    /// <param name="logits"><c>[B, V]</c>.</param>
    /// <param name="k">At least 1; clamped to V.</param>
    public static Tensor ApplyTopK(Tensor logits, int k)
    {
        using var scope = NewDisposeScope();
        int kept = (int)Math.Min(k, logits.shape[^1]);
        var (largest, _) = logits.topk(kept, dim: -1); // [B, k], descending
        Tensor kth = largest.narrow(-1, kept - 1, 1); // [B, 1]
        return logits.masked_fill(logits.lt(kth), double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Hugging Face's <c>TopPLogitsWarper</c>: sorts each row ascending and removes the ids whose cumulative probability
    /// stays at or below <c>1 - p</c>; the most likely id is always kept.
    /// </summary>
    /// <param name="logits"><c>[B, V]</c>.</param>
    /// <param name="p">In (0, 1).</param>
    public static Tensor ApplyTopP(Tensor logits, double p)
    {
        using var scope = NewDisposeScope();
        var (sortedLogits, sortedIndices) = logits.sort(-1, descending: false); // [B, V] each
        Tensor cumulative = sortedLogits.softmax(-1).cumsum(-1); // [B, V]
        Tensor sortedRemove = cumulative.le(1.0 - p);
        sortedRemove.narrow(-1, logits.shape[^1] - 1, 1).fill_(false); // keep the most likely id (min_tokens_to_keep = 1)
        Tensor remove = sortedRemove.scatter(-1, sortedIndices, sortedRemove); // back to vocabulary order
        return logits.masked_fill(remove, double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    public void Dispose() => generator?.Dispose();
}
