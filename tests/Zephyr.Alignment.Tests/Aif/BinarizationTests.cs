using Microsoft.Extensions.Options;
using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Tests.Data;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Aif;

public sealed class BinarizationTests
{
    [Fact]
    public void Prompt_id_is_the_hex_sha256_of_the_utf8_prompt_as_the_hub_computes_it()
    {
        // hashlib.sha256("hello".encode("utf-8")).hexdigest()
        Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", PromptIds.FromPrompt("hello"));
        // hashlib.sha256("héllo ✓".encode("utf-8")).hexdigest()
        Assert.Equal(System.Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("héllo ✓"u8)), PromptIds.FromPrompt("héllo ✓"));
    }

    [Fact]
    public void Score_is_the_mean_of_numeric_aspects_leaving_out_na_and_minimum_is_an_option()
    {
        var judgement = new CandidateJudgement(
        [
            AspectRating.Of(FeedbackAspect.InstructionFollowing, 5),
            AspectRating.NotApplicable(FeedbackAspect.Honesty),
            AspectRating.Of(FeedbackAspect.Truthfulness, 4),
            AspectRating.Of(FeedbackAspect.Helpfulness, 3),
        ]);
        Assert.Equal(4.0, CandidateScores.Compute(judgement));
        Assert.Equal(3.0, CandidateScores.Compute(judgement, ScoreAggregation.Minimum));
    }

    [Fact]
    public void A_failed_or_all_na_candidate_has_no_score()
    {
        var failed = new CandidateJudgement([AspectRating.Of(FeedbackAspect.Helpfulness, 5)], [new JudgeFailure(FeedbackAspect.Honesty, "Text 1 is missing", "raw", 3)]);
        Assert.Null(CandidateScores.Compute(failed));
        Assert.Null(CandidateScores.Compute(new CandidateJudgement([AspectRating.NotApplicable(FeedbackAspect.Honesty)])));
    }

    [Fact]
    public void A_rating_outside_one_to_five_or_an_aspect_twice_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AspectRating.Of(FeedbackAspect.Helpfulness, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => AspectRating.Of(FeedbackAspect.Helpfulness, 0));
        Assert.Throws<ArgumentException>(() => new CandidateJudgement([AspectRating.Of(FeedbackAspect.Helpfulness, 2), AspectRating.Of(FeedbackAspect.Helpfulness, 3)]));
    }

    [Fact]
    public void Random_rejected_picks_the_best_as_chosen_and_never_the_best_or_tied_as_rejected()
    {
        ScoredPrompt prompt = Prompt("p", ("a", 3), ("b", 5), ("c", 5), ("d", 1), ("e", 2));
        var binarizer = new PreferenceBinarizer();
        BinarizedPreference pair = Assert.Single(binarizer.Binarize(prompt).Pairs);
        Assert.Equal("b", pair.Chosen[^1].Content); // first of the tied best, in candidate order
        Assert.Contains(pair.Rejected[^1].Content, new[] { "a", "d", "e" });
        Assert.Equal(5, pair.ScoreChosen);
        Assert.Equal([ConversationMessage.User("prompt p"), ConversationMessage.Assistant("b")], pair.Chosen);
        Assert.Equal(pair.Chosen, pair.Messages);
        Assert.Equal(PromptIds.FromPrompt("prompt p"), pair.PromptId);
    }

    [Fact]
    public void Random_rejected_is_seeded_per_prompt_uniform_and_independent_of_order()
    {
        var counts = new Dictionary<string, int>();
        var binarizer = new PreferenceBinarizer(new BinarizationOptions { Seed = 7 });
        for (int i = 0; i < 3000; i++)
        {
            string rejected = binarizer.Binarize(Prompt($"p{i}", ("best", 5), ("x", 1), ("y", 2), ("z", 3))).Pairs[0].Rejected[^1].Content;
            counts[rejected] = counts.GetValueOrDefault(rejected) + 1;
        }

        // Three eligible candidates, 3000 draws: each near 1000 (a 5-sigma band is about ±130).
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));

        // Same seed, same prompt: the same draw, whatever else was binarized before.
        string Draw(int seed) => new PreferenceBinarizer(new BinarizationOptions { Seed = seed }).Binarize(Prompt("fixed", ("best", 5), ("x", 1), ("y", 2), ("z", 3))).Pairs[0].Rejected[^1].Content;
        Assert.Equal(Draw(7), Draw(7));
        Assert.Contains(Enumerable.Range(0, 20).Select(Draw).Distinct().Count(), new[] { 2, 3 });
    }

    [Fact]
    public void Worst_rejected_takes_the_lowest_score()
    {
        var binarizer = new PreferenceBinarizer(new BinarizationOptions { Strategy = BinarizationStrategy.WorstRejected });
        BinarizedPreference pair = Assert.Single(binarizer.Binarize(Prompt("p", ("a", 3), ("b", 5), ("c", 1), ("d", 1))).Pairs);
        Assert.Equal(("b", "c"), (pair.Chosen[^1].Content, pair.Rejected[^1].Content));
        Assert.Equal((5.0, 1.0), (pair.ScoreChosen, pair.ScoreRejected));
    }

    [Fact]
    public void All_pairs_above_margin_keeps_every_pair_whose_difference_exceeds_it()
    {
        var binarizer = new PreferenceBinarizer(new BinarizationOptions { Strategy = BinarizationStrategy.AllPairsAboveMargin, Margin = 1 });
        var pairs = binarizer.Binarize(Prompt("p", ("a", 3), ("b", 5), ("c", 1), ("d", 4.5))).Pairs
            .Select(p => (p.Chosen[^1].Content, p.Rejected[^1].Content)).ToArray();
        Assert.Equal([("a", "c"), ("b", "a"), ("b", "c"), ("d", "a"), ("d", "c")], pairs);
        Assert.Equal(
            BinarizationDropReason.NoPairAboveMargin,
            new PreferenceBinarizer(new BinarizationOptions { Strategy = BinarizationStrategy.AllPairsAboveMargin, Margin = 5 }).Binarize(Prompt("p", ("a", 3), ("b", 5))).DropReason);
    }

    [Fact]
    public void Prompts_with_fewer_than_two_scores_equal_scores_or_identical_texts_are_dropped_with_a_reason()
    {
        var binarizer = new PreferenceBinarizer();
        Assert.Equal(BinarizationDropReason.FewerThanTwoScored, binarizer.Binarize(Prompt("p", ("a", 3), ("b", null))).DropReason);
        Assert.Equal(BinarizationDropReason.AllScoresEqual, binarizer.Binarize(Prompt("p", ("a", 3), ("b", 3), ("c", null))).DropReason);
        Assert.Equal(BinarizationDropReason.IdenticalCompletions, binarizer.Binarize(Prompt("p", ("a", 4), ("a", 3))).DropReason);
        Assert.Empty(binarizer.Binarize(Prompt("p", ("a", 3), ("b", 3))).Pairs);
    }

    [Fact]
    public void A_margin_with_another_strategy_is_a_validation_error_not_ignored()
    {
        var e = Assert.Throws<OptionsValidationException>(() => new PreferenceBinarizer(new BinarizationOptions { Margin = 0.5 }));
        Assert.Contains("Margin", e.Message, StringComparison.Ordinal);
        Assert.Throws<OptionsValidationException>(() => new PreferenceBinarizer(new BinarizationOptions { Strategy = BinarizationStrategy.AllPairsAboveMargin, Margin = -1 }));
    }

    [Theory]
    [InlineData("train_prefs.parquet")]
    [InlineData("train_prefs.jsonl")]
    public async Task Written_rows_have_the_hub_schema_and_read_back_through_the_dpo_dataset_unchanged(string file)
    {
        using var folder = new TempDirectory();
        BinarizedPreference[] rows =
        [
            BinarizedPreference.Create("Hi? \"quoted\" ✓", PromptIds.FromPrompt("Hi? \"quoted\" ✓"), "Hello!", 4.5, "Go away.", 1.25),
            BinarizedPreference.Create("2+2?", PromptIds.FromPrompt("2+2?"), "4", 5, "5", 2),
        ];
        (string parquet, string jsonl) = await UltraFeedbackBinarizedWriter.WriteAsync(folder.Path, "train_prefs", rows);
        Assert.Equal(folder.File("train_prefs.parquet"), parquet);
        Assert.Equal(folder.File("train_prefs.jsonl"), jsonl);
        Assert.Empty(Directory.GetFiles(folder.Path, "*.tmp"));

        string path = folder.File(file);
        if (file.EndsWith(".parquet", StringComparison.Ordinal))
        {
            var columns = await Zephyr.Alignment.Data.DatasetReader.ReadColumnsAsync(path);
            Assert.Equal(["prompt", "prompt_id", "chosen", "rejected", "messages", "score_chosen", "score_rejected"], columns!.Select(c => c.Name));
        }
        else
        {
            string first = File.ReadLines(path).First();
            Assert.StartsWith("{\"prompt\":\"Hi? \\\"quoted\\\" ✓\",\"prompt_id\":\"", first, StringComparison.Ordinal);
            Assert.Contains("\"chosen\":[{\"content\":\"Hi? \\\"quoted\\\" ✓\",\"role\":\"user\"},{\"content\":\"Hello!\",\"role\":\"assistant\"}]", first, StringComparison.Ordinal);
            Assert.EndsWith("\"score_chosen\":4.5,\"score_rejected\":1.25}", first, StringComparison.Ordinal);
        }

        List<PreferenceExample> read = await DataFixtures.ToListAsync(new PreferenceDataset(path).ReadAsync());
        Assert.Equal(2, read.Count);
        Assert.Equal([ConversationMessage.User("Hi? \"quoted\" ✓")], read[0].Prompt);
        Assert.Equal(("Hello!", "Go away."), (read[0].Chosen, read[0].Rejected));
        Assert.Equal((4.5, 1.25), (read[0].ScoreChosen, read[0].ScoreRejected));
        Assert.Equal(PromptIds.FromPrompt("2+2?"), read[1].PromptId);
    }

    private static ScoredPrompt Prompt(string name, params (string Text, double? Score)[] candidates)
    {
        string prompt = "prompt " + name;
        return new ScoredPrompt(
            PromptIds.FromPrompt(prompt),
            prompt,
            candidates.Select((c, i) => new ScoredCandidate(
                new Candidate($"g{i}", c.Text),
                new CandidateJudgement([]),
                c.Score)).ToArray());
    }
}
