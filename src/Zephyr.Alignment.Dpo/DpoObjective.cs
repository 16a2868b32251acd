using TorchSharp;
using Zephyr.Alignment.Dpo.Metrics;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Scoring;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo;

/// <summary>
/// The DPO loss of one batch for the shared <see cref="TrainingLoop{TBatch}"/>: one forward pass of the
/// <c>[chosen; rejected]</c> rows through the policy, the summed completion log-probs, the reference's (precomputed or
/// from a live <see cref="IReferenceModel"/>), the configured <see cref="ILossFunction"/>, and TRL's metrics.
/// </summary>
/// <remarks>
/// <para>Metrics, with TRL's names and reductions (averaged by the loop over each logging window, <c>eval_</c> in evaluation):</para>
/// <list type="bullet">
/// <item><c>rewards/chosen</c>, <c>rewards/rejected</c>, <c>rewards/accuracies</c>, <c>rewards/margins</c>, <c>logps/chosen</c>,
/// <c>logps/rejected</c>: see <see cref="DpoRewardMetrics"/>;</item>
/// <item><c>logits/chosen</c>, <c>logits/rejected</c>: the vocabulary-mean of the logits that predict each completion token,
/// averaged over those tokens (a token-weighted mean over the batch);</item>
/// <item><c>entropy</c>: the mean entropy of the next-token distribution over chosen and rejected completion tokens;</item>
/// <item><c>mean_token_accuracy</c>: the fraction of chosen completion tokens that are the argmax of their logits;</item>
/// <item><c>num_tokens</c>: the running total of real (non-padding) tokens, as a count.</item>
/// </list>
/// <para>Losses with state (the legacy <c>bco_pair</c>'s running mean), alone or inside a <see cref="Losses.CombinedLoss"/>,
/// are checkpointed through <see cref="ICheckpointState"/>, their keys prefixed by their position (<c>0.running_mean</c>).</para>
/// </remarks>
public sealed class DpoObjective : ITrainingObjective<DpoBatch>, ICheckpointState
{
    /// <summary>Completion positions whose full-vocabulary statistics are computed at once (bounds the memory of the metrics).</summary>
    private const long MetricChunkRows = 1024;

    private readonly ILossFunction loss;
    private readonly IReferenceModel? reference;

    /// <summary>Creates the objective.</summary>
    /// <param name="loss">The preference loss (e.g. <c>DpoLosses.Create("sigmoid", beta: 0.01)</c>).</param>
    /// <param name="reference">
    /// The live reference, used for batches without precomputed reference log-probs; <see langword="null"/> when every
    /// batch carries them.
    /// </param>
    public DpoObjective(ILossFunction loss, IReferenceModel? reference = null)
    {
        this.loss = loss ?? throw new ArgumentNullException(nameof(loss));
        this.reference = reference;
    }

    /// <summary>The preference loss.</summary>
    public ILossFunction Loss => loss;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> SaveState()
    {
        var state = new Dictionary<string, double>(StringComparer.Ordinal);
        int index = 0;
        foreach (ICheckpointState part in StatefulParts(loss))
        {
            foreach (var (key, value) in part.SaveState())
            {
                state[string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{index}.{key}")] = value;
            }

            index++;
        }

        return state;
    }

    /// <inheritdoc />
    public void LoadState(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        int index = 0;
        foreach (ICheckpointState part in StatefulParts(loss))
        {
            string prefix = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{index}.");
            part.LoadState(state.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Key[prefix.Length..], p => p.Value, StringComparer.Ordinal));
            index++;
        }
    }

    private static IEnumerable<ICheckpointState> StatefulParts(ILossFunction loss) => loss switch
    {
        ICheckpointState stateful => [stateful],
        Losses.CombinedLoss combined => combined.Terms.SelectMany(term => StatefulParts(term.Loss)),
        _ => [],
    };

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The batch has no precomputed reference log-probs and there is no live reference.</exception>
    public ObjectiveOutput ComputeLoss(IPolicyModel policy, DpoBatch batch, bool training)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(batch);
        Device device = policy.Device;
        Tensor ids = batch.Pairs.InputIds.to(device);                  // [2B, T]
        Tensor attention = batch.Pairs.AttentionMask.to(device);       // [2B, T]
        Tensor completion = batch.Pairs.CompletionMask.to(device);     // [2B, T]

        Tensor referenceChosen, referenceRejected;                     // [B] each
        if (batch.HasReferenceLogProbs)
        {
            referenceChosen = batch.ReferenceChosenLogps!.to(device);
            referenceRejected = batch.ReferenceRejectedLogps!.to(device);
        }
        else
        {
            IReferenceModel live = reference is { IsDisposed: false } ? reference : throw new InvalidOperationException(
                "The batch carries no precomputed reference log-probs and the objective has no live reference model.");
            Tensor[] halves = live.SequenceLogProbs(ids, attention, completion, device).chunk(2);
            (referenceChosen, referenceRejected) = (halves[0], halves[1]);
        }

        Tensor logits = policy.Forward(ids, attention);                // [2B, T, V]
        return FromLogits(logits, ids, attention, completion, referenceChosen, referenceRejected, loss);
    }

    /// <summary>The loss and metrics of a batch from the policy's logits (the part of <see cref="ComputeLoss"/> after the forward pass).</summary>
    /// <param name="logits">Policy logits <c>[2B, T, V]</c>.</param>
    /// <param name="inputIds">Token ids <c>[2B, T]</c>: chosen rows, then rejected rows.</param>
    /// <param name="attentionMask">1 on real tokens <c>[2B, T]</c>.</param>
    /// <param name="completionMask">1 on completion tokens <c>[2B, T]</c>.</param>
    /// <param name="referenceChosen">log π_ref(chosen) <c>[B]</c>.</param>
    /// <param name="referenceRejected">log π_ref(rejected) <c>[B]</c>.</param>
    /// <param name="loss">The preference loss.</param>
    internal static ObjectiveOutput FromLogits(
        Tensor logits, Tensor inputIds, Tensor attentionMask, Tensor completionMask, Tensor referenceChosen, Tensor referenceRejected, ILossFunction loss)
    {
        CompletionLogProbs policy = TokenLogProbs.ForCompletions(logits, inputIds, completionMask);
        Tensor[] sums = policy.Sum.chunk(2);                           // [B] each
        Tensor[] lengths = completionMask.sum(1).chunk(2);             // [B] each

        // The sft term is the mean NLL per chosen completion token (TRL divides by the shifted mask's count).
        Tensor chosenTokenCount = policy.TokenCount.chunk(2)[0].sum();
        Tensor chosenNll = policy.PerToken.chunk(2)[0].sum().neg() / chosenTokenCount.clamp_min(1);

        var inputs = new PreferenceLossInputs
        {
            PolicyChosenLogps = sums[0],
            PolicyRejectedLogps = sums[1],
            ReferenceChosenLogps = referenceChosen.to(sums[0].dtype),
            ReferenceRejectedLogps = referenceRejected.to(sums[1].dtype),
            ChosenLengths = lengths[0],
            RejectedLengths = lengths[1],
            ChosenTokenNllMean = chosenNll,
        };
        PreferenceLossOutput output = loss.Compute(inputs);
        Tensor batchLoss = output.Losses.mean();

        var metrics = new Dictionary<string, double>(DpoRewardMetrics.Compute(output, inputs), StringComparer.Ordinal);
        foreach (var (name, value) in LogitMetrics(logits, inputIds, completionMask))
        {
            metrics[name] = value;
        }

        using var noGrad = no_grad();
        double realTokens = attentionMask.sum().to(ScalarType.Float64).item<double>();
        return new ObjectiveOutput(batchLoss, metrics)
        {
            Counts = new Dictionary<string, double>(StringComparer.Ordinal) { [MetricNames.NumTokens] = realTokens },
        };
    }

    /// <summary>
    /// <c>logits/chosen</c>, <c>logits/rejected</c>, <c>entropy</c> and <c>mean_token_accuracy</c>, computed only at the
    /// positions that predict completion tokens, a chunk of positions at a time, so no second <c>[2B, T, V]</c> tensor exists.
    /// </summary>
    private static Dictionary<string, double> LogitMetrics(Tensor logits, Tensor inputIds, Tensor completionMask)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        long rows = logits.shape[0], time = logits.shape[1], vocab = logits.shape[2];
        long pairs = rows / 2;

        // Half-precision statistics over a 32k vocabulary lose most of their mantissa; float64 stays float64.
        ScalarType computeType = logits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        Tensor flatLogits = logits.detach().narrow(1, 0, time - 1).reshape(rows * (time - 1), vocab);   // [N, V]
        Tensor flatTargets = inputIds.narrow(1, 1, time - 1).reshape(-1);                              // [N]
        Tensor positions = completionMask.narrow(1, 1, time - 1).reshape(-1).nonzero().reshape(-1);    // [M]
        Tensor isChosen = positions.lt(pairs * (time - 1));                                            // [M]

        Tensor logitSumChosen = zeros(1, computeType, logits.device), logitSumRejected = zeros(1, computeType, logits.device);
        Tensor entropySum = zeros(1, computeType, logits.device);
        Tensor correctChosen = zeros(1, ScalarType.Int64, logits.device);
        long total = positions.shape[0];
        for (long start = 0; start < total; start += MetricChunkRows)
        {
            long length = Math.Min(MetricChunkRows, total - start);
            Tensor index = positions.narrow(0, start, length);
            Tensor chosenRows = isChosen.narrow(0, start, length);
            Tensor chunk = flatLogits.index_select(0, index).to(computeType);                          // [n, V]
            Tensor vocabMean = chunk.mean([-1]);                                                        // [n]
            logitSumChosen += vocabMean.where(chosenRows, zeros_like(vocabMean)).sum();
            logitSumRejected += vocabMean.where(chosenRows.logical_not(), zeros_like(vocabMean)).sum();
            Tensor logProbs = chunk.log_softmax(-1);
            entropySum += logProbs.exp().mul(logProbs).sum(-1).neg().sum();
            Tensor hits = chunk.argmax(-1).eq(flatTargets.index_select(0, index)).logical_and(chosenRows);
            correctChosen += hits.sum();
        }

        long chosenTokens = isChosen.sum().item<long>();
        long rejectedTokens = total - chosenTokens;
        double Ratio(Tensor sum, long count) => count == 0 ? double.NaN : sum.to(ScalarType.Float64).item<double>() / count;
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [MetricNames.LogitsChosen] = Ratio(logitSumChosen, chosenTokens),
            [MetricNames.LogitsRejected] = Ratio(logitSumRejected, rejectedTokens),
            [MetricNames.Entropy] = Ratio(entropySum, total),

            // TRL divides two int64 counts, which torch does in float32.
            [MetricNames.MeanTokenAccuracy] = chosenTokens == 0 ? double.NaN : (float)correctChosen.item<long>() / chosenTokens,
        };
    }
}
