using Zephyr.Alignment.Scoring;
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
/// The policy computes logits only at the positions whose next label is in the loss (<see cref="IPolicyModel.ForwardAt"/>):
/// the LM head, the largest matmul of a small model, skips the prompt, masked turns and padding.
/// </para>
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

        // Only the positions that predict a label in the loss get logits: the LM head skips the prompt, masked turns and
        // padding (IPolicyModel.ForwardAt). The loss and accuracy read the same positions the full [B, T, V] logits gave.
        var (positions, targets) = LogitPositions.ForShiftedLabels(batch.Labels); // [N], [N] on the CPU
        long lossTokens = positions.shape[0];
        long realTokens = batch.AttentionMask.sum().item<long>();
        Tensor logits = policy.ForwardAt(ids, batch.ModelAttentionMask(device), batch.PositionIds.to(device), positions.to(device)); // [N, V]
        var counts = new Dictionary<string, double> { [MetricNames.NumTokens] = realTokens };
        if (lossTokens == 0)
        {
            // Nothing to learn from (every label masked): a zero loss that still backpropagates, and no metrics, since an
            // accuracy over no tokens is undefined and the loop rejects a zero metric weight.
            return new ObjectiveOutput(logits.sum(), new Dictionary<string, double>()) { Counts = counts, LossItems = 0 };
        }

        Tensor selectedTargets = targets.to(device); // [N]
        Tensor tokenLosses = TokenLogProbs.Gather(logits.unsqueeze(0), selectedTargets.unsqueeze(0)).neg(); // [1, N]
        Tensor loss = tokenLosses.sum() / lossTokens;
        using (no_grad())
        {
            long correct = logits.argmax(-1).eq(selectedTargets).sum().item<long>();
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

        long steps = logits.shape[1] - 1;

        // The labels are shifted, not the logits (a narrowed [B, T, V] view would be copied whole), and the log-probs come
        // from TokenLogProbs, which keeps no second [B, T, V] tensor in either pass and reduces in float32 (in bf16 the
        // normalizer over a 32k vocabulary loses most of its precision). Ignored labels score 0.
        Tensor targets = nn.functional.pad(labels.narrow(1, 1, steps), [0, 1], value: LossMask.IgnoreIndex); // [B, T]
        return TokenLogProbs.Gather(logits, targets).narrow(1, 0, steps).neg();                                // [B, T-1]
    }
}
