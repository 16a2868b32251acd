using System.Text.Json;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

public sealed class ByteLevelBpeTrainerTests
{
    private static readonly string[] Corpus =
    [
        "Tom had 7 apples and got 5 more, so Tom had 12 apples.",
        "In alphabetical order, pear, fig, apple becomes apple, fig, pear.",
        "Nobody can know what number Ana is thinking of.",
        "7 plus 5 is 12. 12 minus 5 is 7.",
        "Ünïcödé and emoji 🙂 still round-trip.",
    ];

    [Fact]
    public void A_trained_tokenizer_loads_as_a_hugging_face_folder_and_round_trips_any_text()
    {
        using var folder = new TempDirectory();
        int merges = ByteLevelBpeTrainer.Train(Enumerable.Repeat(Corpus, 20).SelectMany(c => c),
            new ByteLevelBpeTrainerOptions { VocabularySize = 400, AdditionalTokens = ["<|user|>"], ChatTemplate = "{{ messages }}" }, folder.Path);

        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(folder.Path);

        Assert.True(merges > 0);
        Assert.InRange(tokenizer.VocabularySize, 256 + 5 + 1, 400);
        Assert.Equal("<s>", tokenizer.BosToken!.Text);
        Assert.Equal("</s>", tokenizer.EosToken!.Text);
        Assert.Equal("<pad>", tokenizer.PadToken!.Text);
        Assert.True(tokenizer.AddBosToken);
        Assert.Equal("{{ messages }}", tokenizer.ChatTemplate);
        foreach (string text in Corpus.Append("words it never saw: zebra 987 ☃"))
        {
            EncodedText encoded = tokenizer.Encode(text, addSpecialTokens: false);
            Assert.Equal(text, tokenizer.Decode(encoded.Ids));
        }

        // Frequent words became single tokens; the role marker is one added token that decoding keeps.
        Assert.Single(tokenizer.Encode(" apples", addSpecialTokens: false).Ids);
        int[] marked = [.. tokenizer.Encode("<|user|>\nHi</s>", addSpecialTokens: false).Ids];
        Assert.Equal(tokenizer.TokenToId("<|user|>"), marked[0]);
        Assert.Equal(tokenizer.EosToken.Id, marked[^1]);
        Assert.Equal("<|user|>\nHi", tokenizer.Decode(marked, skipSpecialTokens: true));
    }

    [Fact]
    public void The_same_corpus_gives_byte_identical_files()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var options = new ByteLevelBpeTrainerOptions { VocabularySize = 350 };

        ByteLevelBpeTrainer.Train(Corpus, options, first.Path);
        ByteLevelBpeTrainer.Train(Corpus, options, second.Path);

        foreach (string name in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(first.Path, name)), File.ReadAllBytes(Path.Combine(second.Path, name)));
        }
    }

    [Fact]
    public void Training_stops_at_the_vocabulary_size_and_merges_are_written_in_rank_order()
    {
        using var folder = new TempDirectory();

        int merges = ByteLevelBpeTrainer.Train(Enumerable.Repeat(Corpus, 20).SelectMany(c => c), new ByteLevelBpeTrainerOptions { VocabularySize = 270 }, folder.Path);

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "tokenizer.json")));
        JsonElement model = json.RootElement.GetProperty("model");
        Assert.Equal(270 - 4, model.GetProperty("vocab").EnumerateObject().Count());
        Assert.Equal(merges, model.GetProperty("merges").GetArrayLength());
        Assert.True(merges >= 270 - 4 - 256);
    }

    [Theory]
    [InlineData(200, 2, "<s>")]
    [InlineData(1000, 0, "<s>")]
    [InlineData(1000, 2, "")]
    public void Bad_options_are_rejected_with_the_option_named(int vocabularySize, int minFrequency, string bos)
    {
        using var folder = new TempDirectory();
        var options = new ByteLevelBpeTrainerOptions { VocabularySize = vocabularySize, MinFrequency = minFrequency, BosToken = bos };

        Assert.ThrowsAny<ArgumentException>(() => ByteLevelBpeTrainer.Train(Corpus, options, folder.Path));
    }
}
