using Zephyr.Alignment.Sft.Masking;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Sft;

/// <summary>
/// The SFT loss: next-token cross-entropy averaged over the tokens in the loss (labels other than -100), with TRL's
/// metrics <c>mean_token_accuracy</c> (token-weighted) and <c>num_tokens</c> (a running count of real input tokens).
/// </summary>
/// <remarks>
/// <para>
/// The labels are unshifted; the loss shifts once, comparing the logits at position t with the label at t + 1. Masked
/// labels drop out of the sum and the count, so they add nothing to the loss or its gradient.
/// </para>
/// <para>
/// The loss of a micro-batch is its own token mean and <see cref="ObjectiveOutput.LossItems"/> its number of loss
/// tokens, so the loop normalises a step by the loss tokens of all its micro-batches, as TRL and transformers (≥ 4.46,
/// <c>num_items_in_batch</c>) do: with assistant-only masks and unequal lengths, accumulating k micro-batches gives the
/// gradient and logged <c>loss</c> of one batch of all k. <see cref="ObjectiveOutput.Weight"/> is the same count, so
/// <c>mean_token_accuracy</c> is token-weighted too.
/// </para>
/// </remarks>
public sealed class SftObjective : ITrainingObjective<SftBatch>
{
    /// <summary>Adds <c>eval_perplexity</c> = exp(<c>eval_loss</c>): a perplexity is derived from the mean loss, never averaged.</summary>
    /// <param name="evaluationMetrics">The evaluation's <c>eval_</c> metrics.</param>
    public void AddDerivedEvaluationMetrics(IDictionary<string, double> evaluationMetrics)
    {
        ArgumentNullException.ThrowIfNull(evaluationMetrics);
        if (evaluationMetrics.TryGetValue(MetricNames.Eval(MetricNames.Loss), out double loss))
        {
            evaluationMetrics[MetricNames.Eval(SftMetricNames.Perplexity)] = Math.Exp(loss);
        }
    }

    /// <inheritdoc />
    public ObjectiveOutput ComputeLoss(IPolicyModel policy, SftBatch batch, bool training)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(batch);
        Device device = policy.Device;
        Tensor ids = batch.InputIds.to(device); // [B, T]
        Tensor labels = batch.Labels.to(device); // [B, T]
        Tensor logits = policy.Forward(ids, batch.ModelAttentionMask(device), batch.PositionIds.to(device)); // [B, T, V]
        Tensor tokenLosses = TokenLosses(logits, labels); // [B, T-1]
        Tensor targets = labels[.., 1..]; // [B, T-1]
        Tensor inLoss = targets.ne(LossMask.IgnoreIndex); // [B, T-1]
        long lossTokens = inLoss.sum().item<long>();
        long realTokens = batch.AttentionMask.sum().item<long>();
        var counts = new Dictionary<string, double> { [MetricNames.NumTokens] = realTokens };
        if (lossTokens == 0)
        {
            // Nothing to learn from (every label masked): a zero loss that still backpropagates, and no metrics, since an
            // accuracy over no tokens is undefined and the loop rejects a zero metric weight.
            return new ObjectiveOutput(tokenLosses.sum(), new Dictionary<string, double>()) { Counts = counts, LossItems = 0 };
        }

        Tensor loss = tokenLosses.sum() / lossTokens;
        using (no_grad())
        {
            Tensor predicted = logits[.., ..^1].argmax(-1); // [B, T-1]
            long correct = predicted.eq(targets).logical_and(inLoss).sum().item<long>();
            var metrics = new Dictionary<string, double> { [MetricNames.MeanTokenAccuracy] = (double)correct / lossTokens };
            return new ObjectiveOutput(loss, metrics) { Weight = lossTokens, Counts = counts, LossItems = lossTokens };
        }
    }

    /// <summary>
    /// Per-position negative log-likelihood of the next token: entry t is <c>-log p(labels[t + 1] | logits[t])</c>, and 0
    /// where that label is <see cref="LossMask.IgnoreIndex"/>.
    /// </summary>
    /// <param name="logits">Logits <c>[B, T, V]</c>.</param>
    /// <param name="labels">Unshifted labels <c>[B, T]</c>.</param>
    /// <returns><c>[B, T-1]</c> float32, differentiable with respect to <paramref name="logits"/>.</returns>
    public static Tensor TokenLosses(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.dim() != 3 || labels.dim() != 2 || logits.shape[0] != labels.shape[0] || logits.shape[1] != labels.shape[1])
        {
            throw new ArgumentException(
                $"logits must be [B, T, V] and labels [B, T]; got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", labels.shape)}].");
        }

        long batch = logits.shape[0];
        long steps = logits.shape[1] - 1;
        long vocabulary = logits.shape[2];

        // float32 for the log-softmax: in bf16 the normalizer over a 32k vocabulary loses most of its precision.
        Tensor predicted = logits[.., ..^1].to(ScalarType.Float32).reshape(-1, vocabulary); // [B·(T-1), V]
        Tensor targets = labels[.., 1..].to(ScalarType.Int64).reshape(-1); // [B·(T-1)]
        Tensor losses = nn.functional.cross_entropy(
            predicted, targets, ignore_index: LossMask.IgnoreIndex, reduction: nn.Reduction.None); // [B·(T-1)], 0 where ignored
        return losses.reshape(batch, steps);
    }
}
