using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Tests.Chat;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Data;

public sealed class PreferenceCollatorTests
{
    [Fact]
    public void The_documented_batch_stacks_chosen_then_rejected_padded_to_the_longest_row()
    {
        var collator = new PreferenceCollator(padTokenId: 0);

        using PreferenceBatch batch = collator.Collate(
        [
            new TokenizedPreference(PromptIds: [1, 2, 3], ChosenIds: [4, 5], RejectedIds: [6]),
            new TokenizedPreference(PromptIds: [7, 8], ChosenIds: [9], RejectedIds: [10, 11]),
        ]);

        Assert.Equal([4L, 5L], batch.InputIds.shape);
        Assert.Equal(2, batch.PairCount);
        Assert.Equal(5, batch.SequenceLength);
        Assert.All(new[] { batch.InputIds, batch.AttentionMask, batch.CompletionMask }, t => Assert.Equal(ScalarType.Int64, t.dtype));
        Assert.Equal([1L, 2, 3, 4, 5, 7, 8, 9, 0, 0, 1, 2, 3, 6, 0, 7, 8, 10, 11, 0], batch.InputIds.data<long>().ToArray());
        Assert.Equal([1L, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0], batch.AttentionMask.data<long>().ToArray());
        Assert.Equal([0L, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0], batch.CompletionMask.data<long>().ToArray());
    }

    [Fact]
    public void Batches_are_padded_to_their_longest_sequence_not_to_a_maximum_length()
    {
        var collator = new PreferenceCollator(padTokenId: 9);

        using PreferenceBatch batch = collator.Collate([new TokenizedPreference([1], [2], [3, 4, 5])]);

        Assert.Equal([2L, 4L], batch.InputIds.shape);
        Assert.Equal([1L, 2, 9, 9, 1, 3, 4, 5], batch.InputIds.data<long>().ToArray());
        Assert.Equal(6, batch.AttentionMask.sum().item<long>());
        Assert.Equal(4, batch.CompletionMask.sum().item<long>());
    }

    [Fact]
    public void The_pad_id_is_the_tokenizers_pad_or_else_its_eos()
    {
        var llama = Zephyr.Alignment.Tokenization.HuggingFaceTokenizer.FromFolder(Infrastructure.TestPaths.Fixture("tiny-llama-tokenizer"));

        Assert.Equal(llama.PadToken!.Id, PreferenceCollator.ForTokenizer(llama).PadTokenId);
        Assert.Equal(2, PreferenceCollator.ForTokenizer(new CharTokenizer()).PadTokenId);
        Assert.Throws<ArgumentException>(() => PreferenceCollator.ForTokenizer(new CharTokenizer(bos: null, eos: null)));
    }

    [Fact]
    public void Bad_batches_are_refused_before_any_tensor_is_made()
    {
        var collator = new PreferenceCollator(0);

        Assert.Throws<ArgumentException>(() => collator.Collate([]));
        ArgumentException empty = Assert.Throws<ArgumentException>(() => collator.Collate([new TokenizedPreference([1], [], [2], "a.jsonl: line 3")]));
        Assert.Contains("a.jsonl: line 3", empty.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreferenceCollator(-1));
    }
}
