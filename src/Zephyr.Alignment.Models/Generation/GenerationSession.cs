using TorchSharp;
using Zephyr.Alignment.Tokenization;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models.Generation;

/// <summary>
/// The state of one (batched) generation: left-padded sequences, their attention mask, the KV cache, the seen-id mask of
/// the repetition penalty and what each row has produced. <see cref="Step"/> runs one forward pass in its own dispose
/// scope and under <c>no_grad</c>, both entered and left inside the call, so a caller may await between steps (streaming)
/// without holding thread-local torch state across threads.
/// </summary>
/// <remarks>
/// Rows stop independently; a finished row is fed the pad id until every row is done (its results no longer change, and
/// rows never attend to each other). Positions come from the mask, so each row counts from 0 at its first real token
/// whatever its padding, exactly as if it were generated alone.
/// </remarks>
internal sealed class GenerationSession : IDisposable
{
    private readonly CausalLanguageModel model;
    private readonly GenerationOptions options;
    private readonly ITokenizer? tokenizer;
    private readonly HashSet<int> eosIds;
    private readonly long padId;
    private readonly Sampler sampler;
    private readonly KeyValueCache? cache;
    private readonly List<int>[] produced;
    private readonly GenerationStopReason?[] stopReasons;

    private Tensor pending; // [B, S] on the first step (the padded prompts), then [B, 1] (cache) or [B, S] (no cache)
    private Tensor attention; // [B, S] int64: 1 for real tokens, 0 for left padding
    private Tensor? seen; // [B, V] bool: ids in each row's prompt or output, when the repetition penalty is on
    private int steps;

    public GenerationSession(
        CausalLanguageModel model, ITokenizer? tokenizer, IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, IReadOnlyList<int> eosIds, long padId)
    {
        this.model = model;
        this.options = options;
        this.tokenizer = tokenizer;
        this.eosIds = [.. eosIds];
        this.padId = padId;
        int batch = prompts.Count;
        produced = [.. Enumerable.Range(0, batch).Select(_ => new List<int>())];
        stopReasons = new GenerationStopReason?[batch];

        int width = prompts.Max(p => p.Count);
        long[] ids = new long[batch * width];
        long[] mask = new long[batch * width];
        for (int b = 0; b < batch; b++)
        {
            int offset = b * width + width - prompts[b].Count;
            Array.Fill(ids, padId, b * width, width - prompts[b].Count);
            for (int t = 0; t < prompts[b].Count; t++)
            {
                ids[offset + t] = prompts[b][t];
                mask[offset + t] = 1;
            }
        }

        Device device = model.Device;
        sampler = new Sampler(options, device);
        try
        {
            using var scope = NewDisposeScope();
            Tensor promptIds = tensor(ids, [batch, width], ScalarType.Int64, device); // [B, P]
            Tensor promptMask = tensor(mask, [batch, width], ScalarType.Int64, device); // [B, P]
            if (options.RepetitionPenalty != 1.0)
            {
                // Counting through the mask keeps the pad id out of the seen set; scatter_add is exact with repeated ids.
                seen = zeros([batch, model.VocabularySize], ScalarType.Int64, device)
                    .scatter_add_(1, promptIds, promptMask)
                    .gt(0)
                    .DetachFromDisposeScope(); // [B, V]
            }

            pending = promptIds.DetachFromDisposeScope();
            attention = promptMask.DetachFromDisposeScope();
        }
        catch
        {
            // Nothing escapes a failed construction (e.g. the device is out of memory): the caller never gets to Dispose.
            seen?.Dispose();
            sampler.Dispose();
            throw;
        }

        cache = options.UseCache ? model.CreateCache() : null;
    }

    /// <summary>Whether every row has stopped.</summary>
    public bool IsDone => stopReasons.All(r => r is not null);

    /// <summary>Runs one forward pass and picks one token per unfinished row.</summary>
    /// <returns>The token each row produced, or -1 for a row that had already stopped.</returns>
    public int[] Step()
    {
        if (IsDone)
        {
            throw new InvalidOperationException("Every row has already stopped.");
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        // Left padding gives pad slots position 0 (clamped); they are never attended to, so their value is irrelevant.
        Tensor positions = (attention.cumsum(1) - 1).clamp_min(0); // [B, S]
        Tensor logits = cache is null || steps == 0
            ? model.Forward(pending, attention, positions, cache, logitsToKeep: 1) // [B, 1, V]
            : model.Forward(pending, attention, positions.narrow(1, positions.shape[1] - 1, 1), cache, logitsToKeep: 1); // [B, 1, V]

        // Processors and softmax run in float32 whatever the model dtype, as transformers upcasts the last logits.
        Tensor last = logits[.., -1].to(ScalarType.Float32); // [B, V]
        long[] chosen = sampler.Select(last, seen).cpu().data<long>().ToArray(); // [B]
        steps++;

        int[] result = new int[chosen.Length];
        for (int b = 0; b < chosen.Length; b++)
        {
            if (stopReasons[b] is not null)
            {
                result[b] = -1;
                chosen[b] = padId;
                continue;
            }

            int token = checked((int)chosen[b]);
            result[b] = token;
            produced[b].Add(token);
            stopReasons[b] = StopReasonAfter(produced[b], token);
        }

        if (!IsDone)
        {
            Advance(tensor(chosen, [chosen.Length, 1], ScalarType.Int64, attention.device)); // [B, 1]
        }

        return result;
    }

    /// <summary>Marks every unfinished row as cancelled.</summary>
    public void Cancel()
    {
        for (int b = 0; b < stopReasons.Length; b++)
        {
            stopReasons[b] ??= GenerationStopReason.Cancelled;
        }
    }

    /// <summary>The results, one per prompt; call once <see cref="IsDone"/>.</summary>
    public IReadOnlyList<GenerationResult> Results()
        => [.. produced.Select((tokens, b) => new GenerationResult(tokens.ToArray(), stopReasons[b] ?? throw new InvalidOperationException("Generation has not finished.")))];

    public void Dispose()
    {
        cache?.Dispose();
        pending.Dispose();
        attention.Dispose();
        seen?.Dispose();
        sampler.Dispose();
    }

    private GenerationStopReason? StopReasonAfter(List<int> tokens, int token)
    {
        if (eosIds.Contains(token))
        {
            return GenerationStopReason.EndOfSequence;
        }

        if (options.StopStrings.Count > 0 && tokenizer is not null)
        {
            // Decoded as a whole (not token by token) so stop strings spanning tokens or multi-byte characters are found.
            string text = tokenizer.Decode(tokens);
            if (options.StopStrings.Any(stop => text.Contains(stop, StringComparison.Ordinal)))
            {
                return GenerationStopReason.StopString;
            }
        }

        return tokens.Count >= options.MaxNewTokens ? GenerationStopReason.MaxNewTokens : null;
    }

    /// <summary>Appends the chosen tokens <c>[B, 1]</c> to the state the next step reads.</summary>
    private void Advance(Tensor next)
    {
        Tensor newPending = cache is null ? cat([pending, next], 1) : next; // [B, S + 1] or [B, 1]
        Tensor newAttention = cat([attention, ones_like(next)], 1); // [B, S + 1]
        pending.Dispose();
        attention.Dispose();
        pending = newPending.DetachFromDisposeScope();
        attention = newAttention.DetachFromDisposeScope();
        seen?.scatter_(1, next, ones_like(next, ScalarType.Bool));
    }
}
