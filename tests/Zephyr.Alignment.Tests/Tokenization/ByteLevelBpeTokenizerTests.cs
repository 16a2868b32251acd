using System.Text.Json;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

public sealed class ByteLevelBpeTokenizerTests
{
    private static readonly Lazy<ITokenizer> LazyTokenizer = new(() => HuggingFaceTokenizer.FromFolder(TokenizerFixtures.Folder("bpe-tiny")));

    private static ITokenizer Tokenizer => LazyTokenizer.Value;

    public static TheoryData<string> BpeCaseNames => [.. TokenizerFixtures.BpeCases.Select(item => item.Name)];

    [Fact]
    public void Fixture_has_53_cases_and_300_fuzz_strings()
    {
        Assert.Equal(53, TokenizerFixtures.BpeCases.Count);
        Assert.Equal(300, TokenizerFixtures.FuzzStrings.Count);
    }

    [Fact]
    public void Folder_with_only_tokenizer_json_loads_as_byte_level_BPE()
    {
        var tokenizer = Assert.IsType<ByteLevelBpeTokenizer>(Tokenizer);

        Assert.Equal(861, tokenizer.VocabularySize);
        Assert.Equal(new SpecialToken("<|begin_of_text|>", 856), tokenizer.BosToken);
        Assert.Equal(new SpecialToken("<|eot_id|>", 860), tokenizer.EosToken);
        Assert.Null(tokenizer.UnkToken);
        Assert.Null(tokenizer.PadToken);
        Assert.True(tokenizer.AddBosToken);
        Assert.False(tokenizer.AddEosToken);
        Assert.Contains("<|start_header_id|>", tokenizer.ChatTemplate);
        Assert.Equal(5, tokenizer.AddedTokens.Count);
    }

    [Theory]
    [MemberData(nameof(BpeCaseNames))]
    public void Encode_and_decode_match_the_reference(string name)
    {
        BpeCase expected = TokenizerFixtures.BpeCases.Single(item => item.Name == name);

        EncodedText plain = Tokenizer.Encode(expected.Text, addSpecialTokens: false);
        EncodedText withSpecial = Tokenizer.Encode(expected.Text);

        Assert.Equal(expected.Ids, plain.Ids);
        Assert.Equal(expected.IdsWithSpecial, withSpecial.Ids);
        Assert.Equal(expected.Tokens, plain.Ids.Select(id => Tokenizer.IdToToken(id)));
        Assert.Equal(expected.Decoded, Tokenizer.Decode(expected.Ids));
        Assert.Equal(expected.DecodedWithSpecial, Tokenizer.Decode(expected.IdsWithSpecial));
        Assert.Equal(expected.Text, Tokenizer.Decode(plain.Ids));
    }

    [Fact]
    public void All_fuzz_strings_encode_to_the_reference_ids_and_round_trip()
    {
        var failures = new List<string>();
        foreach ((string text, int[] ids) in TokenizerFixtures.FuzzStrings)
        {
            IReadOnlyList<int> actual = Tokenizer.Encode(text, addSpecialTokens: false).Ids;
            if (!actual.SequenceEqual(ids) || Tokenizer.Decode(actual) != text)
            {
                failures.Add(JsonSerializer.Serialize(text));
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public void Legacy_string_merges_give_identical_ids()
    {
        ITokenizer legacyFolder = HuggingFaceTokenizer.FromFolder(TokenizerFixtures.Folder("bpe-tiny-legacy"));
        ByteLevelBpeTokenizer legacyFile = ByteLevelBpeTokenizer.FromFile(Path.Combine(TokenizerFixtures.Folder("bpe-tiny"), "tokenizer-legacy-merges.json"));

        foreach (BpeCase expected in TokenizerFixtures.BpeCases)
        {
            Assert.Equal(expected.IdsWithSpecial, legacyFolder.Encode(expected.Text).Ids);
            Assert.Equal(expected.Ids, legacyFile.Encode(expected.Text, addSpecialTokens: false).Ids);
        }

        foreach ((string text, int[] ids) in TokenizerFixtures.FuzzStrings)
        {
            Assert.Equal(ids, legacyFolder.Encode(text, addSpecialTokens: false).Ids);
        }
    }

    [Fact]
    public void Chat_template_text_encodes_to_the_reference_ids()
    {
        JsonElement chat = TokenizerFixtures.BpeCasesRoot().GetProperty("chat");

        Assert.Equal(
            TokenizerFixtures.Ints(chat.GetProperty("ids")),
            Tokenizer.Encode(chat.GetProperty("rendered").GetString()!, addSpecialTokens: false).Ids);
        Assert.Equal(
            TokenizerFixtures.Ints(chat.GetProperty("ids_generation_prompt")),
            Tokenizer.Encode(chat.GetProperty("rendered_generation_prompt").GetString()!, addSpecialTokens: false).Ids);
    }

    [Fact]
    public void Special_tokens_in_text_are_cut_out_case_sensitively_and_skipped_on_request()
    {
        const string text = "<|start_header_id|>user<|end_header_id|>hi<|eot_id|><|EOT_ID|>";
        EncodedText encoded = Tokenizer.Encode(text, addSpecialTokens: false);

        Assert.Equal(858, encoded.Ids[0]);
        Assert.Equal(859, encoded.Ids[2]);
        Assert.Single(encoded.Ids, 860);
        Assert.Equal(text, Tokenizer.Decode(encoded.Ids));
        Assert.Equal("userhi<|EOT_ID|>", Tokenizer.Decode(encoded.Ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Offsets_cover_the_characters_each_token_came_from()
    {
        const string text = "Hi <|eot_id|>  café 👍🏽 12345";
        EncodedText encoded = Tokenizer.Encode(text);

        Assert.Equal(encoded.Ids.Count, encoded.Offsets.Count);
        Assert.Equal(new Range(0, 0), encoded.Offsets[0]);
        int previousEnd = 0;
        for (int i = 1; i < encoded.Ids.Count; i++)
        {
            (int start, int length) = encoded.Offsets[i].GetOffsetAndLength(text.Length);
            Assert.True(length > 0, $"token {i} has an empty range");
            Assert.True(start >= previousEnd || start + length <= previousEnd + 2, $"token {i} starts before the previous token");
            previousEnd = Math.Max(previousEnd, start + length);

            // Decoding a token's bytes gives text contained in the characters its range covers.
            string decoded = Tokenizer.Decode([encoded.Ids[i]]).Replace("\uFFFD", string.Empty, StringComparison.Ordinal);
            Assert.Contains(decoded, text.Substring(start, length), StringComparison.Ordinal);
        }

        Assert.Equal(text.Length, previousEnd);
        Assert.Equal("<|eot_id|>", text[encoded.Offsets[encoded.Ids.ToList().IndexOf(860)]]);
    }

    [Fact]
    public void Token_and_id_lookups_cover_vocabulary_and_added_tokens()
    {
        Assert.Equal(220, Tokenizer.TokenToId("Ġ"));
        Assert.Equal(860, Tokenizer.TokenToId("<|eot_id|>"));
        Assert.Null(Tokenizer.TokenToId("<|EOT_ID|>"));
        Assert.Equal("Ċ", Tokenizer.IdToToken(198));
        Assert.Equal("<|begin_of_text|>", Tokenizer.IdToToken(856));
        Assert.Null(Tokenizer.IdToToken(861));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([861]));
    }

    [Theory]
    [InlineData(false, new[] { 0, 1, 2, 4 })]
    [InlineData(true, new[] { 3, 4 })]
    public void Ignore_merges_takes_whole_vocabulary_words_directly(bool ignoreMerges, int[] expected)
    {
        // "abc" is in the vocabulary but no merge builds it; with ignore_merges the split is looked up whole.
        string json = $$"""
            {
              "added_tokens": [],
              "normalizer": null,
              "pre_tokenizer": { "type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true },
              "post_processor": null,
              "decoder": { "type": "ByteLevel" },
              "model": {
                "type": "BPE", "ignore_merges": {{(ignoreMerges ? "true" : "false")}},
                "vocab": { "a": 0, "b": 1, "c": 2, "abc": 3, "Ġ": 4 },
                "merges": []
              }
            }
            """;
        string folder = Directory.CreateTempSubdirectory("zephyr-bpe-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json);
            ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(folder);

            Assert.Equal(expected, tokenizer.Encode("abc ", addSpecialTokens: false).Ids);
            Assert.Equal("abc ", tokenizer.Decode(expected));
            Assert.False(tokenizer.AddBosToken);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
