using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Sft.Masking;
using Zephyr.Alignment.Sft.Packing;
using Zephyr.Alignment.Tests.Models;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Sft;

public sealed class SftPackingTests
{
    [Fact]
    public void Best_fit_decreasing_places_the_longest_first_into_the_tightest_row()
    {
        IReadOnlyList<int[]> rows = SequencePacker.Pack([5, 3, 8, 2, 6], 10);

        Assert.Equal([[2, 3], [4, 1], [0]], rows);
    }

    [Fact]
    public void Every_example_lands_in_exactly_one_row_that_fits()
    {
        var random = new Random(3);
        int[] lengths = [.. Enumerable.Range(0, 500).Select(_ => random.Next(1, 65))];

        IReadOnlyList<int[]> rows = SequencePacker.Pack(lengths, 64);

        Assert.Equal(Enumerable.Range(0, lengths.Length), rows.SelectMany(r => r).Order());
        Assert.All(rows, row => Assert.InRange(row.Sum(i => lengths[i]), 1, 64));

        // Best-fit decreasing needs at most 11/9 of the optimal number of rows, plus one (Dósa 2007); the optimum needs
        // at least ceil(tokens / 64). One example per row would need 500.
        int lowerBound = (lengths.Sum() + 63) / 64;
        Assert.True(rows.Count <= (11.0 / 9 * lowerBound) + 1, $"{rows.Count} rows for a lower bound of {lowerBound}");
        Assert.Throws<ArgumentOutOfRangeException>(() => SequencePacker.Pack([65], 64));
    }

    [Fact]
    public void A_packed_row_restarts_positions_ignores_each_first_token_and_numbers_its_examples()
    {
        TokenizedConversation[] examples =
        [
            new([1, 5, 6], [false, false, true]),
            new([1, 7], [false, true]),
            new([1, 8, 9, 10], [false, true, true, true]),
        ];
        SftDataset dataset = SftDataset.Packed(examples, maxLength: 6, padId: 0);
        Assert.Equal([[2, 1], [0]], dataset.Rows);

        using SftBatch batch = dataset.Collate([0, 1]);

        Assert.True(batch.IsPacked);
        Assert.Equal(3, batch.ExampleCount);
        Assert.Equal([1L, 8, 9, 10, 1, 7, 1, 5, 6, 0, 0, 0], batch.InputIds.data<long>().ToArray());
        Assert.Equal([-100L, 8, 9, 10, -100, 7, -100, -100, 6, -100, -100, -100], batch.Labels.data<long>().ToArray());
        Assert.Equal([0L, 1, 2, 3, 0, 1, 0, 1, 2, 0, 0, 0], batch.PositionIds.data<long>().ToArray());
        Assert.Equal([0L, 0, 0, 0, 1, 1, 0, 0, 0, -1, -1, -1], batch.SequenceIds!.data<long>().ToArray());
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], batch.AttentionMask.data<long>().ToArray());
        Assert.Equal([2L, 6, 6], batch.ModelAttentionMask(CPU).shape);
    }

    [Fact]
    public void Without_packing_a_batch_is_padded_to_its_longest_example_not_to_max_length()
    {
        TokenizedConversation[] examples =
        [
            new([1, 5, 6], [false, false, true]),
            new([1, 7], [false, true]),
            new([1, 8, 9, 10, 11], [false, true, true, true, true]),
        ];
        SftDataset dataset = SftDataset.Unpacked(examples, padId: 2);

        using SftBatch batch = dataset.Collate([0, 1]);

        Assert.False(batch.IsPacked);
        Assert.Equal([2L, 3], batch.InputIds.shape);
        Assert.Equal([1L, 5, 6, 1, 7, 2], batch.InputIds.data<long>().ToArray());
        Assert.Equal([-100L, -100, 6, -100, 7, -100], batch.Labels.data<long>().ToArray());
        Assert.Equal([1L, 1, 1, 1, 1, 0], batch.AttentionMask.data<long>().ToArray());
        Assert.Equal([2L, 3], batch.ModelAttentionMask(CPU).shape);
    }

    [Fact]
    public void A_packed_batch_gives_the_same_per_example_losses_as_the_examples_one_by_one()
    {
        using CausalLanguageModel model = ModelFixtures.Load("tiny-llama");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokenizer = new ConversationTokenizer(SftTestKit.Tokenizer, ChatTemplates.Default.Get("zephyr"));
        TokenizedConversation[] examples =
        [
            .. CapitalLetterTask.Training(twoTurn: 2).Skip(178).Take(4)
                .Select(messages => tokenizer.Tokenize(new ConversationExample { Messages = messages })!),
        ];
        SftDataset packed = SftDataset.Packed(examples, maxLength: 512);
        Assert.Single(packed.Rows);

        using SftBatch batch = packed.Collate([0]);
        Tensor logits = model.Forward(batch.InputIds, batch.ModelAttentionMask(CPU), batch.PositionIds);
        Tensor tokenLosses = SftObjective.TokenLosses(logits, batch.Labels)[0]; // [T-1]
        long[] sequence = batch.SequenceIds!.data<long>().ToArray();

        double totalAlone = 0;
        long tokensAlone = 0;
        foreach (int index in packed.Rows[0])
        {
            using SftBatch alone = SftDataset.Unpacked([examples[index]]).Collate([0]);
            Tensor aloneLosses = SftObjective.TokenLosses(model.Forward(alone.InputIds), alone.Labels);
            double expected = aloneLosses.sum().item<float>();

            // In the packed row, entry t predicts token t + 1: sum the entries whose target belongs to this example.
            int k = Array.IndexOf(packed.Rows[0], index);
            bool[] ofExample = [.. Enumerable.Range(0, sequence.Length - 1).Select(t => sequence[t + 1] == k)];
            double actual = (tokenLosses * tensor(ofExample)).sum().item<float>();

            Assert.True(Math.Abs(actual - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"example {index}: packed {actual}, alone {expected}");
            totalAlone += expected;
            tokensAlone += alone.Labels.ne(LossMask.IgnoreIndex).sum().item<long>();
        }

        // The batch loss is the same token mean whether the examples are packed or padded side by side.
        using SftBatch padded = SftDataset.Unpacked(examples).Collate([0, 1, 2, 3]);
        var objective = new SftObjective();
        double packedLoss = objective.ComputeLoss(model, batch, training: false).Loss.item<float>();
        double paddedLoss = objective.ComputeLoss(model, padded, training: false).Loss.item<float>();
        Assert.Equal(totalAlone / tokensAlone, packedLoss, 1e-5);
        Assert.Equal(paddedLoss, packedLoss, 1e-5);
    }

    [Fact]
    public void The_padding_report_measures_both_layouts_and_the_fraction_saved()
    {
        // One batch of four pads to 8: 14 of 32 positions; the packed rows [10, 8] pad 2 of 20; batches of one never pad.
        double single = PaddingReport.PaddingFraction([2, 8, 4, 4], batchSize: 1, seed: 0);
        PaddingReport report = PaddingReport.Measure([2, 8, 4, 4], [10, 8], batchSize: 4, seed: 0);

        Assert.Equal(0.0, single);
        Assert.Equal(1 - (18.0 / 32), report.UnpackedPaddingFraction, 12);
        Assert.Equal(1 - (18.0 / 20), report.PackedPaddingFraction, 12);
        Assert.Equal(report.UnpackedPaddingFraction - report.PackedPaddingFraction, report.PaddingFractionSaved, 12);
        Assert.Equal(18, report.Tokens);
    }
}
