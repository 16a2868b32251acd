using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>
/// Turns a prompt's scored candidates into preference pairs, as <c>ultrafeedback_binarized</c> was built
/// (Tunstall et al. 2023, §4: "we select the highest-scoring response as the chosen one, and one of the remaining
/// three at random as rejected").
/// </summary>
/// <remarks>
/// <para><b>Scored candidates</b> are those with a score (<see cref="ScoredCandidate.Score"/> not null); the rest
/// take no part. A prompt is dropped when fewer than two are scored, or when all scores are equal.</para>
/// <para><b>Tie rule.</b> When several candidates share the highest score, <c>chosen</c> is the first of them in
/// candidate order (generator order in the configuration, then sample number), as Python's <c>max</c> picks. The
/// other top-scored candidates are never <c>rejected</c>: a pair of equal scores has no preference signal.
/// <see cref="BinarizationStrategy.WorstRejected"/> takes the first of several equally-lowest candidates.</para>
/// <para><b>Identical texts.</b> A candidate whose completion is exactly the chosen one's is never its
/// <c>rejected</c> (dDPO would reject such a row as having no preference signal); when nothing else is left the
/// prompt is dropped as <see cref="BinarizationDropReason.IdenticalCompletions"/>.</para>
/// <para><b>Seeded draw.</b> The random <c>rejected</c> index is <c>u mod k</c>, where k is the number of eligible
/// candidates and u the first 8 bytes (little-endian) of SHA-256("{seed}:{prompt_id}"). It depends only on the seed
/// and the prompt, so a resumed or reordered run draws exactly the same pairs.</para>
/// </remarks>
public sealed class PreferenceBinarizer
{
    private readonly BinarizationOptions _options;

    /// <summary>Creates a binarizer.</summary>
    /// <param name="options">The strategy, seed and margin; <see langword="null"/> for the paper's defaults.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public PreferenceBinarizer(BinarizationOptions? options = null)
    {
        _options = options ?? new BinarizationOptions();
        var result = new BinarizationOptionsValidator().Validate(null, _options);
        if (result.Failed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(nameof(BinarizationOptions), typeof(BinarizationOptions), result.Failures);
        }
    }

    /// <summary>The pairs of one prompt, or the reason it was dropped.</summary>
    /// <param name="prompt">The prompt and its scored candidates.</param>
    public BinarizationResult Binarize(ScoredPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ScoredCandidate[] scored = prompt.Candidates.Where(c => c.Score is not null).ToArray();
        if (scored.Length < 2)
        {
            return BinarizationResult.Dropped(BinarizationDropReason.FewerThanTwoScored);
        }

        double best = scored.Max(c => c.Score!.Value);
        if (scored.All(c => c.Score!.Value == best))
        {
            return BinarizationResult.Dropped(BinarizationDropReason.AllScoresEqual);
        }

        ScoredCandidate chosen = scored.First(c => c.Score!.Value == best);
        switch (_options.Strategy)
        {
            case BinarizationStrategy.RandomRejected:
            {
                ScoredCandidate[] lower = scored.Where(c => c.Score!.Value < best && Differ(c, chosen)).ToArray();
                if (lower.Length == 0)
                {
                    return BinarizationResult.Dropped(BinarizationDropReason.IdenticalCompletions);
                }

                return BinarizationResult.Of([Pair(prompt, chosen, lower[DrawIndex(_options.Seed, prompt.PromptId, lower.Length)])]);
            }

            case BinarizationStrategy.WorstRejected:
            {
                ScoredCandidate[] lower = scored.Where(c => c.Score!.Value < best && Differ(c, chosen)).ToArray();
                if (lower.Length == 0)
                {
                    return BinarizationResult.Dropped(BinarizationDropReason.IdenticalCompletions);
                }

                double worst = lower.Min(c => c.Score!.Value);
                return BinarizationResult.Of([Pair(prompt, chosen, lower.First(c => c.Score!.Value == worst))]);
            }

            case BinarizationStrategy.AllPairsAboveMargin:
            {
                double margin = _options.Margin ?? 0;
                var pairs = new List<BinarizedPreference>();
                for (int i = 0; i < scored.Length; i++)
                {
                    for (int j = 0; j < scored.Length; j++)
                    {
                        if (scored[i].Score!.Value - scored[j].Score!.Value > margin && Differ(scored[i], scored[j]))
                        {
                            pairs.Add(Pair(prompt, scored[i], scored[j]));
                        }
                    }
                }

                return pairs.Count == 0 ? BinarizationResult.Dropped(BinarizationDropReason.NoPairAboveMargin) : BinarizationResult.Of(pairs);
            }

            default:
                throw new InvalidOperationException($"Unknown binarization strategy {_options.Strategy}.");
        }
    }

    /// <summary>The seeded index in [0, <paramref name="count"/>) for <paramref name="promptId"/> (see the remarks on the type).</summary>
    internal static int DrawIndex(int seed, string promptId, int count)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed.ToString(CultureInfo.InvariantCulture) + ":" + promptId));
        return (int)(BinaryPrimitives.ReadUInt64LittleEndian(hash) % (ulong)count);
    }

    private static bool Differ(ScoredCandidate a, ScoredCandidate b) => !string.Equals(a.Candidate.Completion, b.Candidate.Completion, StringComparison.Ordinal);

    private static BinarizedPreference Pair(ScoredPrompt prompt, ScoredCandidate chosen, ScoredCandidate rejected) =>
        BinarizedPreference.Create(prompt.Prompt, prompt.PromptId, chosen.Candidate.Completion, chosen.Score!.Value, rejected.Candidate.Completion, rejected.Score!.Value);
}
