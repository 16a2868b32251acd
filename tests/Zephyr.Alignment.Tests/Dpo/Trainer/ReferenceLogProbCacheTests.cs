using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo.Trainer;

public sealed class ReferenceLogProbCacheTests
{
    private static readonly PreferenceTokenizerOptions Tokenization = new() { MaxLength = 64, MaxPromptLength = 32 };

    [Fact]
    public void The_fingerprint_changes_with_the_data_the_settings_the_batching_the_layout_the_configuration_and_the_weights()
    {
        var pairs = SyntheticPreferences.RaggedPairs(6, seed: 1);
        using var reference = new ReferenceModel(SyntheticPreferences.Model(seed: 3));
        using var otherWeights = new ReferenceModel(SyntheticPreferences.Model(seed: 4));
        using var otherConfiguration = new ReferenceModel(SyntheticPreferences.Model(seed: 3, attentionDropout: 0.1)); // the same weights
        string baseline = ReferenceLogProbCache.Fingerprint(reference, pairs, 0, 4, Tokenization);
        List<TokenizedPreference> edited = [.. pairs];
        edited[5] = edited[5] with { RejectedIds = [5, SyntheticPreferences.Eos] };

        Assert.Equal(baseline, ReferenceLogProbCache.Fingerprint(reference, [.. pairs], 0, 4, new PreferenceTokenizerOptions { MaxLength = 64, MaxPromptLength = 32 }));
        Assert.Matches("^[0-9a-f]{64}$", baseline);
        string[] others =
        [
            ReferenceLogProbCache.Fingerprint(reference, edited, 0, 4, Tokenization),
            ReferenceLogProbCache.Fingerprint(reference, pairs[..5], 0, 4, Tokenization),
            ReferenceLogProbCache.Fingerprint(reference, pairs, 0, 4, new PreferenceTokenizerOptions { MaxLength = 65, MaxPromptLength = 32 }),
            ReferenceLogProbCache.Fingerprint(reference, pairs, 0, 2, Tokenization),
            ReferenceLogProbCache.Fingerprint(reference, pairs, 1, 4, Tokenization),
            ReferenceLogProbCache.Fingerprint(otherWeights, pairs, 0, 4, Tokenization),
            ReferenceLogProbCache.Fingerprint(reference, pairs, 0, 4, Tokenization, prefixSharing: true),
            ReferenceLogProbCache.Fingerprint(otherConfiguration, pairs, 0, 4, Tokenization),
        ];
        Assert.DoesNotContain(baseline, others);
        Assert.Equal(others.Length, others.Distinct().Count());
    }

    [Fact]
    public void Values_round_trip_exactly_through_an_atomically_written_file()
    {
        using var folder = new TempDirectory();
        var pairs = SyntheticPreferences.RaggedPairs(5, seed: 2);
        using var reference = new ReferenceModel(SyntheticPreferences.Model(seed: 5));
        var values = PrecomputedReferenceLogProbs.Compute(reference, pairs, new PreferenceCollator(0), batchSize: 2);
        string fingerprint = ReferenceLogProbCache.Fingerprint(reference, pairs, 0, 2, null);
        string path = ReferenceLogProbCache.PathFor(folder.Path, fingerprint);

        ReferenceLogProbCache.Save(path, fingerprint, values);
        var loaded = ReferenceLogProbCache.TryLoad(path, fingerprint, pairs.Count, out string? problem);

        Assert.Null(problem);
        Assert.NotNull(loaded);
        Assert.Equal(values.Chosen, loaded.Chosen);
        Assert.Equal(values.Rejected, loaded.Rejected);
        Assert.Equal(ScalarType.Float32, loaded.DType);
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
        Assert.All(values.Chosen.Concat(values.Rejected), v => Assert.True(v < 0 && v == (float)v));
    }

    [Fact]
    public void A_file_with_another_fingerprint_a_wrong_count_or_a_cut_end_is_not_used()
    {
        using var folder = new TempDirectory();
        var values = new PrecomputedReferenceLogProbs([-1.5, -2.5], [-3.5, -4.5], ScalarType.Float32);
        string fingerprint = new('a', 64);
        string path = folder.File("cache.bin");
        ReferenceLogProbCache.Save(path, fingerprint, values);

        Assert.Null(ReferenceLogProbCache.TryLoad(folder.File("absent.bin"), fingerprint, 2, out string? missing));
        Assert.Null(missing);
        Assert.Null(ReferenceLogProbCache.TryLoad(path, new string('b', 64), 2, out string? other));
        Assert.Contains("fingerprint differs", other, StringComparison.Ordinal);
        Assert.Null(ReferenceLogProbCache.TryLoad(path, fingerprint, 3, out string? count));
        Assert.Contains("expected 3 pairs", count, StringComparison.Ordinal);

        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^8]);
        Assert.Null(ReferenceLogProbCache.TryLoad(path, fingerprint, 2, out string? cut));
        Assert.Contains("truncated", cut, StringComparison.Ordinal);
        File.WriteAllText(path, "not a cache");
        Assert.Null(ReferenceLogProbCache.TryLoad(path, fingerprint, 2, out string? foreign));
        Assert.Contains("not a reference log-prob cache", foreign, StringComparison.Ordinal);
    }

    [Fact]
    public void Precomputed_values_equal_a_live_reference_pass_over_the_same_batches()
    {
        var pairs = SyntheticPreferences.RaggedPairs(5, seed: 6);
        var collator = new PreferenceCollator(0);
        using var reference = new ReferenceModel(SyntheticPreferences.Model(seed: 6));
        var values = PrecomputedReferenceLogProbs.Compute(reference, pairs, collator, batchSize: 5);
        using var scope = NewDisposeScope();
        using var batch = collator.Collate(pairs);

        float[] live = reference.SequenceLogProbs(batch.InputIds, batch.AttentionMask, batch.CompletionMask, CPU).data<float>().ToArray();

        Assert.Equal(live[..5].Select(v => (double)v), values.Chosen);
        Assert.Equal(live[5..].Select(v => (double)v), values.Rejected);
    }
}
