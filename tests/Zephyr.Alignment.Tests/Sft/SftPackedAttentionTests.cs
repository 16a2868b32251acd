using Zephyr.Alignment.Models;
using Zephyr.Alignment.Sft.Packing;
using Zephyr.Alignment.Tests.Models;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Sft;

/// <summary>The model side of packing: a [B, T, T] visibility mask plus restarting positions reproduce each example alone.</summary>
public sealed class SftPackedAttentionTests
{
    // Longer than tiny-mistral's sliding window of 8, so the window is exercised inside a packed row.
    private static readonly int[] Lengths = [13, 7, 20];

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-mistral")]
    public void A_packed_row_gives_each_example_its_own_logits(string fixture)
    {
        using CausalLanguageModel model = ModelFixtures.Load(fixture);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[][] examples = Examples(seed: 3);
        const int padding = 4;
        (Tensor ids, Tensor positions, Tensor sequences) = Pack(examples, padding);

        Tensor packed = model.Forward(ids, BlockDiagonalMask.Build(sequences), positions); // [1, T, V]

        int offset = 0;
        foreach (long[] example in examples)
        {
            Tensor alone = model.Forward(ModelFixtures.Ids(example)); // [1, n, V]
            Tensor slice = packed[.., offset..(offset + example.Length)];
            Assert.True(ModelFixtures.MaxAbsDiff(slice, alone) <= 1e-5, $"{fixture}: example at {offset} differs by {ModelFixtures.MaxAbsDiff(slice, alone)}");
            offset += example.Length;
        }
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-mistral")]
    public void Without_the_block_mask_later_examples_see_earlier_ones(string fixture)
    {
        // The control for the test above: plain causal attention over the same row changes the second example's logits.
        using CausalLanguageModel model = ModelFixtures.Load(fixture);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[][] examples = Examples(seed: 3);
        (Tensor ids, Tensor positions, _) = Pack(examples, padding: 0);

        Tensor packed = model.Forward(ids, attentionMask: null, positions);
        Tensor alone = model.Forward(ModelFixtures.Ids(examples[1]));

        Assert.True(ModelFixtures.MaxAbsDiff(packed[.., Lengths[0]..(Lengths[0] + Lengths[1])], alone) > 1e-3);
    }

    [Fact]
    public void A_visibility_mask_of_ones_equals_no_mask_and_a_padding_mask_equals_its_3d_form()
    {
        using CausalLanguageModel model = ModelFixtures.Load("tiny-llama");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor ids = ModelFixtures.Ids([5, 9, 13, 17, 21, 25], [6, 10, 14, 18, 0, 0]);
        Tensor padding = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, [2, 6]);

        Tensor plain = model.Forward(ids);
        Tensor allVisible = model.Forward(ids, ones(2, 6, 6, ScalarType.Bool));
        Tensor twoD = model.Forward(ids, padding);
        Tensor threeD = model.Forward(ids, padding.unsqueeze(1).expand(2, 6, 6));

        Assert.True(ModelFixtures.BitEqual(plain, allVisible));
        Assert.True(ModelFixtures.BitEqual(twoD, threeD));
    }

    [Fact]
    public void A_mask_of_the_wrong_shape_is_rejected_with_both_accepted_shapes()
    {
        using CausalLanguageModel model = ModelFixtures.Load("tiny-llama");
        using var scope = NewDisposeScope();
        Tensor ids = ModelFixtures.Ids([5, 9, 13]);

        var error = Assert.Throws<ArgumentException>(() => model.Forward(ids, ones(1, 3, 4, ScalarType.Bool)));

        Assert.Contains("[B, T, cached + T] = [1, 3, 3]", error.Message);
        Assert.Contains("got [1, 3, 4]", error.Message);
    }

    [Fact]
    public void The_block_diagonal_mask_joins_tokens_of_one_example_and_hides_padding()
    {
        using var scope = NewDisposeScope();
        Tensor mask = BlockDiagonalMask.Build(tensor(new long[] { 0, 0, 1, 1, 1, -1 }, [1, 6]));

        bool[] expected =
        [
            true, true, false, false, false, false,
            true, true, false, false, false, false,
            false, false, true, true, true, false,
            false, false, true, true, true, false,
            false, false, true, true, true, false,
            false, false, false, false, false, false,
        ];
        Assert.Equal([1L, 6, 6], mask.shape);
        Assert.Equal(expected, mask.reshape(-1).data<bool>().ToArray());
    }

    private static long[][] Examples(int seed)
    {
        var random = new Random(seed);
        return [.. Lengths.Select(n => Enumerable.Range(0, n).Select(_ => (long)random.Next(3, 512)).ToArray())];
    }

    private static (Tensor Ids, Tensor Positions, Tensor Sequences) Pack(long[][] examples, int padding)
    {
        var ids = new List<long>();
        var positions = new List<long>();
        var sequences = new List<long>();
        for (int k = 0; k < examples.Length; k++)
        {
            ids.AddRange(examples[k]);
            positions.AddRange(Enumerable.Range(0, examples[k].Length).Select(p => (long)p));
            sequences.AddRange(Enumerable.Repeat((long)k, examples[k].Length));
        }

        ids.AddRange(Enumerable.Repeat(0L, padding));
        positions.AddRange(Enumerable.Repeat(0L, padding));
        sequences.AddRange(Enumerable.Repeat(-1L, padding));
        long[] shape = [1, ids.Count];
        return (tensor(ids.ToArray(), shape), tensor(positions.ToArray(), shape), tensor(sequences.ToArray(), shape));
    }
}
