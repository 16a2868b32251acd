using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using Zephyr.Alignment.Dpo.Data;
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
/// <para>
/// With prefix sharing (<see cref="DpoOptions.PrefixSharing"/>) each pair is one <c>[prompt; chosen; rejected]</c> row
/// (<see cref="PrefixSharedPairs"/>): the policy, and a live reference that implements <see cref="IPrefixSharingReference"/>,
/// compute the prompt once, and the LM head runs only on the positions that score a completion token. Every loss input
/// and metric is the same as with the unshared rows, within float rounding. Where a packed row cannot be exact (a model
/// that does not report its <see cref="IAttentionLayout"/>, cannot take a visibility mask, or has a sliding window shorter
/// than the packed row) that model computes the unshared rows, and a Warning says so once per cause.
/// </para>
/// <para>Losses with state (the legacy <c>bco_pair</c>'s running mean), alone or inside a <see cref="Losses.CombinedLoss"/>,
/// are checkpointed through <see cref="ICheckpointState"/>, their keys prefixed by their position (<c>0.running_mean</c>).</para>
/// </remarks>
public sealed class DpoObjective : ITrainingObjective<DpoBatch>, ICheckpointState
{
    /// <summary>Completion positions whose full-vocabulary statistics are computed at once (bounds the memory of the metrics).</summary>
    private const long MetricChunkRows = 1024;

    private readonly ILossFunction loss;
    private readonly IReferenceModel? reference;
    private readonly PrefixSharingGate gate;

    /// <summary>Creates the objective with TRL's two-row layout (no prefix sharing; <see cref="DpoTrainer"/> shares by default).</summary>
    /// <param name="loss">The preference loss (e.g. <c>DpoLosses.Create("sigmoid", beta: 0.01)</c>).</param>
    /// <param name="reference">
    /// The live reference, used for batches without precomputed reference log-probs; <see langword="null"/> when every
    /// batch carries them.
    /// </param>
    public DpoObjective(ILossFunction loss, IReferenceModel? reference = null)
        : this(loss, reference, prefixSharing: false)
    {
    }

    /// <summary>Creates the objective, with or without prefix sharing.</summary>
    /// <param name="loss">The preference loss.</param>
    /// <param name="reference">The live reference, or <see langword="null"/> when every batch carries precomputed log-probs.</param>
    /// <param name="prefixSharing">Compute each pair's prompt once (<see cref="DpoOptions.PrefixSharing"/>).</param>
    /// <param name="logger">Receives the Warning when a model cannot share the prompt exactly; none by default.</param>
    public DpoObjective(ILossFunction loss, IReferenceModel? reference, bool prefixSharing, ILogger? logger = null)
    {
        this.loss = loss ?? throw new ArgumentNullException(nameof(loss));
        this.reference = reference;
        PrefixSharing = prefixSharing;
        gate = new PrefixSharingGate(logger ?? NullLogger.Instance);
    }

    /// <summary>The preference loss.</summary>
    public ILossFunction Loss => loss;

    /// <summary>Whether each pair's prompt is computed once (<see cref="DpoOptions.PrefixSharing"/>).</summary>
    public bool PrefixSharing { get; }

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

        using PrefixSharedPairs? shared = PrefixSharing
            ? PrefixSharedPairs.Pack(batch.Pairs.InputIds, batch.Pairs.AttentionMask, batch.Pairs.CompletionMask)
            : null;

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
            Tensor[] halves = gate.ReferenceSequenceLogProbs(live, ids, attention, completion, shared, device).chunk(2);
            (referenceChosen, referenceRejected) = (halves[0], halves[1]);
        }

        if (shared is not null && gate.CanShare(policy, shared.PackedLength))
        {
            var (sharedLogits, perToken) = shared.Score(policy);       // [M, V], [M]
            return FromSharedLogits(sharedLogits, perToken, shared, attention, referenceChosen, referenceRejected, loss);
        }

        // Only the positions from just before the first completion token on are scored: the LM head skips the prompt.
        long keep = TokenLogProbs.LogitsToKeep(batch.Pairs.CompletionMask);
        long offset = ids.shape[1] - keep;
        Tensor logits = policy.Forward(ids, attention, null, keep);    // [2B, N, V]
        return FromLogits(logits, ids.narrow(1, offset, keep), attention, completion.narrow(1, offset, keep), referenceChosen, referenceRejected, loss);
    }

    /// <summary>The loss and metrics of a prefix-shared batch from the policy's logits at the scored positions.</summary>
    /// <param name="logits">Policy logits <c>[M, V]</c> of <see cref="PrefixSharedPairs.LogitPositions"/>.</param>
    /// <param name="perToken">The log-probs of <see cref="PrefixSharedPairs.Targets"/> under them <c>[M]</c>.</param>
    /// <param name="shared">The packed pairs.</param>
    /// <param name="attentionMask">1 on real tokens of the unshared rows <c>[2B, T]</c> (for <c>num_tokens</c>, counted as without sharing).</param>
    /// <param name="referenceChosen">log π_ref(chosen) <c>[B]</c>.</param>
    /// <param name="referenceRejected">log π_ref(rejected) <c>[B]</c>.</param>
    /// <param name="loss">The preference loss.</param>
    internal static ObjectiveOutput FromSharedLogits(
        Tensor logits, Tensor perToken, PrefixSharedPairs shared, Tensor attentionMask, Tensor referenceChosen, Tensor referenceRejected, ILossFunction loss)
    {
        Device device = logits.device;
        long total = perToken.shape[0], chosenTokens = shared.ChosenTokenCount;
        var (chosenSums, rejectedSums) = shared.SequenceSums(perToken);                       // [B] each
        Tensor chosenNll = perToken.narrow(0, 0, chosenTokens).sum().neg() / Math.Max(chosenTokens, 1);
        Tensor positions = arange(total, ScalarType.Int64, device);                          // [M]
        Dictionary<string, double> logitMetrics = LogitMetrics(logits, positions, shared.Targets.to(device), positions.lt(chosenTokens));
        return Finish(chosenSums, rejectedSums, shared.ChosenLengths.to(device), shared.RejectedLengths.to(device), chosenNll,
            referenceChosen, referenceRejected, loss, logitMetrics, attentionMask);
    }

    /// <summary>The loss and metrics of a batch from the policy's logits (the part of <see cref="ComputeLoss"/> after the forward pass).</summary>
    /// <param name="logits">Policy logits <c>[2B, N, V]</c> of the last N positions (N = T for all of them).</param>
    /// <param name="inputIds">Token ids <c>[2B, N]</c> of the same positions: chosen rows, then rejected rows.</param>
    /// <param name="attentionMask">1 on real tokens <c>[2B, T]</c>, all positions (for <c>num_tokens</c>).</param>
    /// <param name="completionMask">1 on completion tokens <c>[2B, N]</c>; every completion token lies in the window.</param>
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
        return Finish(sums[0], sums[1], lengths[0], lengths[1], chosenNll, referenceChosen, referenceRejected, loss,
            LogitMetrics(logits, inputIds, completionMask), attentionMask);
    }

    /// <summary>The preference loss, its reward metrics, the logit metrics and <c>num_tokens</c> from the per-pair quantities.</summary>
    private static ObjectiveOutput Finish(
        Tensor chosenSums, Tensor rejectedSums, Tensor chosenLengths, Tensor rejectedLengths, Tensor chosenNll,
        Tensor referenceChosen, Tensor referenceRejected, ILossFunction loss, Dictionary<string, double> logitMetrics, Tensor attentionMask)
    {
        var inputs = new PreferenceLossInputs
        {
            PolicyChosenLogps = chosenSums,
            PolicyRejectedLogps = rejectedSums,
            ReferenceChosenLogps = referenceChosen.to(chosenSums.dtype),
            ReferenceRejectedLogps = referenceRejected.to(rejectedSums.dtype),
            ChosenLengths = chosenLengths,
            RejectedLengths = rejectedLengths,
            ChosenTokenNllMean = chosenNll,
        };
        PreferenceLossOutput output = loss.Compute(inputs);
        Tensor batchLoss = output.Losses.mean();

        var metrics = new Dictionary<string, double>(DpoRewardMetrics.Compute(output, inputs), StringComparer.Ordinal);
        foreach (var (name, value) in logitMetrics)
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

        // Position t of a row predicts token t + 1. A view of the contiguous logits and row-major flat indices, so no
        // [2B, T, V] copy is made.
        Tensor flatLogits = logits.detach().reshape(rows * time, vocab);                                     // [N, V]
        Tensor flatTargets = nn.functional.pad(inputIds.narrow(1, 1, time - 1), [0, 1]).reshape(-1);        // [N]
        Tensor predicts = nn.functional.pad(completionMask.narrow(1, 1, time - 1), [0, 1]).reshape(-1);     // [N]
        Tensor positions = predicts.nonzero().reshape(-1);                                                  // [M]
        return LogitMetrics(flatLogits, positions, flatTargets.index_select(0, positions), positions.lt(pairs * time));
    }

    /// <summary>The logit metrics of the rows <paramref name="positions"/> of <paramref name="flatLogits"/> <c>[N, V]</c>, a chunk at a time.</summary>
    /// <param name="flatLogits">Logits <c>[N, V]</c>.</param>
    /// <param name="positions">The rows that predict a completion token <c>[M]</c>.</param>
    /// <param name="targets">The token each predicts <c>[M]</c>.</param>
    /// <param name="isChosen">Whether it is a chosen token <c>[M]</c>.</param>
    private static Dictionary<string, double> LogitMetrics(Tensor flatLogits, Tensor positions, Tensor targets, Tensor isChosen)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        flatLogits = flatLogits.detach();

        // Half-precision statistics over a 32k vocabulary lose most of their mantissa; float64 stays float64.
        ScalarType computeType = flatLogits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        Device device = flatLogits.device;

        // Each chunk's temporaries are released before the next chunk.
        Tensor logitSumChosen = zeros(1, computeType, device), logitSumRejected = zeros(1, computeType, device);
        Tensor entropySum = zeros(1, computeType, device);
        Tensor correctChosen = zeros(1, ScalarType.Int64, device);
        long total = positions.shape[0];
        for (long start = 0; start < total; start += MetricChunkRows)
        {
            using var chunkScope = NewDisposeScope();
            long length = Math.Min(MetricChunkRows, total - start);
            Tensor index = positions.narrow(0, start, length);
            Tensor chosenRows = isChosen.narrow(0, start, length);
            Tensor chunk = flatLogits.index_select(0, index).to(computeType);                          // [n, V]
            Tensor vocabMean = chunk.mean([-1]);                                                        // [n]
            logitSumChosen.add_(vocabMean.where(chosenRows, zeros_like(vocabMean)).sum());
            logitSumRejected.add_(vocabMean.where(chosenRows.logical_not(), zeros_like(vocabMean)).sum());
            Tensor hits = chunk.argmax(-1).eq(targets.narrow(0, start, length)).logical_and(chosenRows);
            correctChosen.add_(hits.sum());

            // H = lse - sum(p * x) with p = exp(x - lse): one [n, V] temporary, built in place.
            Tensor logSumExp = chunk.logsumexp(-1);                                                     // [n]
            Tensor weighted = chunk.sub(logSumExp.unsqueeze(-1)).exp_().mul_(chunk);                    // [n, V]
            entropySum.add_((logSumExp - weighted.sum(-1)).sum());
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
