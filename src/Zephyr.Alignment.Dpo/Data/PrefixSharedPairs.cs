using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>
/// The pairs of a <see cref="PreferenceBatch"/> packed for prefix sharing (Wang et al. 2024, "Accelerating Direct
/// Preference Optimization with Prefix Sharing"): one row <c>[prompt; chosen; rejected]</c> per pair, so the decoder
/// layers compute the prompt once instead of twice (P + Cc + Cr tokens instead of 2P + Cc + Cr).
/// </summary>
/// <remarks>
/// <para>
/// Position ids run <c>0..P-1</c> over the prompt, <c>P..P+Cc-1</c> over the chosen and again <c>P..P+Cr-1</c> over the
/// rejected completion, and the query × key <see cref="VisibilityMask"/> hides the chosen tokens from the rejected ones
/// (causality is the model's), so every completion token sees exactly what it sees in its own row. Chosen token k is
/// scored by the logits at <c>P-1+k</c>, rejected token 0 by those of the shared last prompt token <c>P-1</c>, rejected
/// token k ≥ 1 by those at <c>P+Cc+k-1</c>; <see cref="LogitPositions"/> lists them, so the LM head runs on nothing else.
/// Rows are right-padded to the longest pair.
/// </para>
/// <para>
/// Exact for models whose attention depends on positions only through position ids (RoPE) and honours the visibility
/// mask. A sliding window counts index distance within the row, which the packed row stretches for rejected tokens: the
/// caller checks <see cref="PackedLength"/> against it (see <see cref="DpoObjective"/>). Disposing releases the tensors.
/// </para>
/// </remarks>
public sealed class PrefixSharedPairs : IDisposable
{
    private readonly Tensor segments;

    private PrefixSharedPairs(Tensor inputIds, Tensor positionIds, Tensor segments, Tensor logitPositions, Tensor targets, Tensor pairIndex,
        Tensor chosenLengths, Tensor rejectedLengths, long chosenTokenCount)
    {
        InputIds = inputIds;
        PositionIds = positionIds;
        this.segments = segments;
        LogitPositions = logitPositions;
        Targets = targets;
        PairIndex = pairIndex;
        ChosenLengths = chosenLengths;
        RejectedLengths = rejectedLengths;
        ChosenTokenCount = chosenTokenCount;
    }

    /// <summary>Segment of a prompt token in <see cref="VisibilityMask"/>'s bookkeeping.</summary>
    private const long PromptSegment = 0, ChosenSegment = 1, RejectedSegment = 2, PaddingSegment = -1;

    /// <summary>Token ids <c>[B, L]</c>, int64: per pair prompt, chosen, rejected, then padding (id 0, never attended to nor scored).</summary>
    public Tensor InputIds { get; }

    /// <summary>Position ids <c>[B, L]</c>, int64: the chosen and the rejected completion both continue from the prompt's length.</summary>
    public Tensor PositionIds { get; }

    /// <summary>Row-major flat indices into <c>B × L</c> of the positions whose logits score a token <c>[M]</c>: every chosen token, then every rejected token.</summary>
    public Tensor LogitPositions { get; }

    /// <summary>The token each of <see cref="LogitPositions"/> scores <c>[M]</c>, int64.</summary>
    public Tensor Targets { get; }

    /// <summary>The pair each of <see cref="LogitPositions"/> belongs to <c>[M]</c>, int64.</summary>
    public Tensor PairIndex { get; }

    /// <summary>Chosen completion lengths <c>[B]</c>, int64.</summary>
    public Tensor ChosenLengths { get; }

    /// <summary>Rejected completion lengths <c>[B]</c>, int64.</summary>
    public Tensor RejectedLengths { get; }

    /// <summary>How many of <see cref="LogitPositions"/> (the first ones) score chosen tokens.</summary>
    public long ChosenTokenCount { get; }

    /// <summary>The number of pairs <c>B</c>.</summary>
    public int PairCount => (int)InputIds.shape[0];

    /// <summary>The packed row length <c>L</c>: the longest <c>P + Cc + Cr</c> of the batch.</summary>
    public long PackedLength => InputIds.shape[1];

    /// <summary>
    /// Packs the <c>[chosen; rejected]</c> rows of a batch. Each row's prompt is its real tokens outside the completion,
    /// its completion the tokens of the completion mask, so left- or right-padded rows both pack.
    /// </summary>
    /// <param name="inputIds">Token ids <c>[2B, T]</c>: B chosen rows, then the B rejected rows of the same pairs.</param>
    /// <param name="attentionMask">1 on real tokens <c>[2B, T]</c>.</param>
    /// <param name="completionMask">1 on completion tokens <c>[2B, T]</c>.</param>
    /// <returns>The packed pairs on the CPU; the caller owns them.</returns>
    /// <exception cref="ArgumentException">
    /// The shapes differ or the row count is odd; a row has no prompt or no completion, or a prompt token after its
    /// completion; or a pair's chosen and rejected rows carry different prompts (they would not share a prefix).
    /// </exception>
    public static PrefixSharedPairs Pack(Tensor inputIds, Tensor attentionMask, Tensor completionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        ArgumentNullException.ThrowIfNull(completionMask);
        if (inputIds.dim() != 2 || inputIds.shape[0] % 2 != 0 || !attentionMask.shape.SequenceEqual(inputIds.shape) || !completionMask.shape.SequenceEqual(inputIds.shape))
        {
            throw new ArgumentException(
                $"Expected ids, attention and completion masks [2B, T]; got [{string.Join(", ", inputIds.shape)}], " +
                $"[{string.Join(", ", attentionMask.shape)}], [{string.Join(", ", completionMask.shape)}].", nameof(inputIds));
        }

        int pairs = (int)(inputIds.shape[0] / 2);
        int time = (int)inputIds.shape[1];
        long[] ids = Read(inputIds), attention = Read(attentionMask), completion = Read(completionMask);
        var prompts = new List<long>[pairs];
        var chosen = new List<long>[pairs];
        var rejected = new List<long>[pairs];
        int length = 0;
        for (int pair = 0; pair < pairs; pair++)
        {
            (List<long> prompt, List<long> chosenTokens) = Split(pair, "chosen");
            (List<long> rejectedPrompt, List<long> rejectedTokens) = Split(pairs + pair, "rejected");
            if (!prompt.SequenceEqual(rejectedPrompt))
            {
                throw new ArgumentException(
                    $"Pair {pair}: the chosen row's prompt ({prompt.Count} tokens) differs from the rejected row's ({rejectedPrompt.Count} tokens); prefix sharing needs one prompt per pair.",
                    nameof(inputIds));
            }

            (prompts[pair], chosen[pair], rejected[pair]) = (prompt, chosenTokens, rejectedTokens);
            length = Math.Max(length, prompt.Count + chosenTokens.Count + rejectedTokens.Count);
        }

        var packedIds = new long[pairs * length];
        var positions = new long[pairs * length];
        var segments = new long[pairs * length];
        Array.Fill(segments, PaddingSegment);
        var logitPositions = new List<long>();
        var targets = new List<long>();
        var pairIndex = new List<long>();
        for (int pair = 0; pair < pairs; pair++)
        {
            int promptLength = prompts[pair].Count, chosenLength = chosen[pair].Count;
            int offset = pair * length;
            Write(offset, prompts[pair], 0, PromptSegment);
            Write(offset + promptLength, chosen[pair], promptLength, ChosenSegment);
            Write(offset + promptLength + chosenLength, rejected[pair], promptLength, RejectedSegment);
            for (int k = 0; k < chosenLength; k++)
            {
                logitPositions.Add(offset + promptLength - 1 + k);
                targets.Add(chosen[pair][k]);
                pairIndex.Add(pair);
            }
        }

        long chosenTokenCount = logitPositions.Count;
        for (int pair = 0; pair < pairs; pair++)
        {
            int promptLength = prompts[pair].Count, chosenLength = chosen[pair].Count;
            int offset = pair * length;
            for (int k = 0; k < rejected[pair].Count; k++)
            {
                // The first rejected token is predicted by the last prompt token, shared with the chosen completion.
                logitPositions.Add(k == 0 ? offset + promptLength - 1 : offset + promptLength + chosenLength + k - 1);
                targets.Add(rejected[pair][k]);
                pairIndex.Add(pair);
            }
        }

        long[] shape = [pairs, length];
        return new PrefixSharedPairs(
            tensor(packedIds, shape), tensor(positions, shape), tensor(segments, shape),
            tensor(logitPositions.ToArray()), tensor(targets.ToArray()), tensor(pairIndex.ToArray()),
            tensor(chosen.Select(c => (long)c.Count).ToArray()), tensor(rejected.Select(r => (long)r.Count).ToArray()), chosenTokenCount);

        (List<long> Prompt, List<long> Completion) Split(int row, string side)
        {
            var prompt = new List<long>();
            var answer = new List<long>();
            for (int t = 0; t < time; t++)
            {
                int at = (row * time) + t;
                if (completion[at] != 0)
                {
                    answer.Add(ids[at]);
                }
                else if (attention[at] != 0)
                {
                    if (answer.Count > 0)
                    {
                        throw new ArgumentException($"Row {row} ({side} of pair {row % pairs}): a prompt token at position {t} follows its completion.", nameof(inputIds));
                    }

                    prompt.Add(ids[at]);
                }
            }

            if (prompt.Count == 0 || answer.Count == 0)
            {
                throw new ArgumentException($"Row {row} ({side} of pair {row % pairs}) has {prompt.Count} prompt and {answer.Count} completion tokens; both must be at least 1.", nameof(inputIds));
            }

            return (prompt, answer);
        }

        void Write(int at, List<long> tokens, int firstPosition, long segment)
        {
            for (int k = 0; k < tokens.Count; k++)
            {
                packedIds[at + k] = tokens[k];
                positions[at + k] = firstPosition + k;
                segments[at + k] = segment;
            }
        }
    }

    /// <summary>
    /// The query × key visibility mask <c>[B, L, L]</c> (bool) on <paramref name="device"/>, built there so the L² tensor
    /// never crosses to it: a real token sees the prompt and its own completion, never the other one, and no padding.
    /// </summary>
    /// <param name="device">The model's device.</param>
    /// <returns>The mask; the caller owns it. The model applies causality on top.</returns>
    public Tensor VisibilityMask(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var scope = NewDisposeScope();
        Tensor segment = segments.to(device);
        Tensor query = segment.unsqueeze(2);                                           // [B, L, 1]
        Tensor key = segment.unsqueeze(1);                                             // [B, 1, L]
        Tensor visible = key.eq(PromptSegment).logical_or(key.eq(query));              // [B, L, L]
        return visible.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs <paramref name="model"/> on the packed rows and returns the logits of <see cref="LogitPositions"/> only
    /// (<see cref="IPolicyModel.ForwardAt"/>), and the log-prob of each <see cref="Targets"/> token under them.
    /// </summary>
    /// <param name="model">The policy, or the reference's model (call it under <c>no_grad</c> then).</param>
    /// <returns>Logits <c>[M, V]</c> in the model's dtype and per-token log-probs <c>[M]</c> in float32 (float64 for float64), on the model's device.</returns>
    public (Tensor Logits, Tensor PerToken) Score(IPolicyModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        Device device = model.Device;
        Tensor logits = model.ForwardAt(InputIds.to(device), VisibilityMask(device), PositionIds.to(device), LogitPositions.to(device)); // [M, V]
        Tensor perToken = Scoring.TokenLogProbs.Gather(logits.unsqueeze(0), Targets.to(device).unsqueeze(0)).squeeze(0);            // [M]
        return (logits.MoveToOuterDisposeScope(), perToken.MoveToOuterDisposeScope());
    }

    /// <summary>Sums per-token log-probs (in the order of <see cref="LogitPositions"/>) into per-pair sequence log-probs.</summary>
    /// <param name="perToken">Log-probs <c>[M]</c>.</param>
    /// <returns>Chosen and rejected sums <c>[B]</c> each, in <paramref name="perToken"/>'s dtype and device, differentiable.</returns>
    public (Tensor Chosen, Tensor Rejected) SequenceSums(Tensor perToken)
    {
        ArgumentNullException.ThrowIfNull(perToken);
        long total = LogitPositions.shape[0];
        if (perToken.dim() != 1 || perToken.shape[0] != total)
        {
            throw new ArgumentException($"perToken must be [{total}]; got [{string.Join(", ", perToken.shape)}].", nameof(perToken));
        }

        using var scope = NewDisposeScope();
        Tensor index = PairIndex.to(perToken.device);
        Tensor chosenSums = zeros(PairCount, perToken.dtype, perToken.device)
            .index_add(0, index.narrow(0, 0, ChosenTokenCount), perToken.narrow(0, 0, ChosenTokenCount), 1);
        Tensor rejectedSums = zeros(PairCount, perToken.dtype, perToken.device)
            .index_add(0, index.narrow(0, ChosenTokenCount, total - ChosenTokenCount), perToken.narrow(0, ChosenTokenCount, total - ChosenTokenCount), 1);
        return (chosenSums.MoveToOuterDisposeScope(), rejectedSums.MoveToOuterDisposeScope());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        InputIds.Dispose();
        PositionIds.Dispose();
        segments.Dispose();
        LogitPositions.Dispose();
        Targets.Dispose();
        PairIndex.Dispose();
        ChosenLengths.Dispose();
        RejectedLengths.Dispose();
    }

    private static long[] Read(Tensor values)
    {
        using var scope = NewDisposeScope();
        return values.to(ScalarType.Int64, CPU).contiguous().data<long>().ToArray();
    }
}
