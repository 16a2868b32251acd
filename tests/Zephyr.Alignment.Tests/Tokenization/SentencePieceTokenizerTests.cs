using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

public sealed class SentencePieceTokenizerTests
{
    private static readonly Lazy<ITokenizer> LazyTokenizer = new(() => HuggingFaceTokenizer.FromFolder(TokenizerFixtures.Folder("tiny-llama-tokenizer")));

    private static ITokenizer Tokenizer => LazyTokenizer.Value;

    public static TheoryData<int> PlainTextCaseIndices =>
        [.. Enumerable.Range(0, TokenizerFixtures.SpmCases.Count).Where(index => !ContainsSpecialTokenText(TokenizerFixtures.SpmCases[index].Text))];

    [Fact]
    public void Folder_with_tokenizer_model_loads_as_SentencePiece_with_config_tokens()
    {
        SentencePieceTokenizer tokenizer = Assert.IsType<SentencePieceTokenizer>(Tokenizer);

        Assert.Equal(512, tokenizer.VocabularySize);
        Assert.Equal(new SpecialToken("<s>", 1), tokenizer.BosToken);
        Assert.Equal(new SpecialToken("</s>", 2), tokenizer.EosToken);
        Assert.Equal(new SpecialToken("<unk>", 0), tokenizer.UnkToken);
        Assert.Equal(new SpecialToken("<unk>", 0), tokenizer.PadToken);
        Assert.True(tokenizer.AddBosToken);
        Assert.False(tokenizer.AddEosToken);
        Assert.False(tokenizer.Legacy);
        Assert.StartsWith("{% for message in messages %}", tokenizer.ChatTemplate);
        Assert.Equal(["<unk>", "<s>", "</s>"], tokenizer.AddedTokens.Select(token => token.Content));
    }

    [Theory]
    [MemberData(nameof(PlainTextCaseIndices))]
    public void Text_without_special_tokens_encodes_as_SentencePiece_with_bos_first(int index)
    {
        SpmCase expected = TokenizerFixtures.SpmCases[index];

        Assert.Equal(expected.Ids, Tokenizer.Encode(expected.Text, addSpecialTokens: false).Ids);
        Assert.Equal([1, .. expected.Ids], Tokenizer.Encode(expected.Text).Ids);
    }

    [Theory]
    [MemberData(nameof(PlainTextCaseIndices))]
    public void Decode_inverts_encode_as_the_fast_tokenizer_does(int index)
    {
        SpmCase expected = TokenizerFixtures.SpmCases[index];
        EncodedText encoded = Tokenizer.Encode(expected.Text);

        Assert.Equal(expected.Decoded, Tokenizer.Decode(encoded.Ids, skipSpecialTokens: true));
        Assert.Equal("<s>" + (expected.Ids.Length == 0 ? string.Empty : " " + expected.Decoded), Tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void Special_token_strings_in_text_become_their_ids_without_a_prefix_after_them()
    {
        // legacy: false — "</s>" is id 2 and the text after it gets no dummy prefix; "\n" right after stays a byte.
        EncodedText encoded = Tokenizer.Encode("Hi</s>\n<s>Hi", addSpecialTokens: false);
        int[] hi = [.. Tokenizer.Encode("Hi", addSpecialTokens: false).Ids];
        int[] hiWithoutPrefix = [.. SentencePieceHiWithoutPrefix()];

        Assert.Equal([.. hi, 2, 13, 1, .. hiWithoutPrefix], encoded.Ids);
        Assert.Equal("Hi</s>\n<s>Hi", Tokenizer.Decode(encoded.Ids));
        Assert.Equal("Hi\nHi", Tokenizer.Decode(encoded.Ids, skipSpecialTokens: true));
    }

    [Fact]
    public void Text_starting_with_a_special_token_gets_no_dummy_prefix()
    {
        Assert.Equal([1, 1, .. SentencePieceHiWithoutPrefix()], Tokenizer.Encode("<s>Hi").Ids);
    }

    [Fact]
    public void Zephyr_turn_markers_stay_text_and_eos_becomes_its_id()
    {
        const string turn = "<|user|>\nHello there</s>\n<|assistant|>\n";
        SpmCase plain = TokenizerFixtures.SpmCases.Single(item => item.Text == turn);
        EncodedText encoded = Tokenizer.Encode(turn, addSpecialTokens: false);

        Assert.Contains(2, encoded.Ids);
        Assert.NotEqual(plain.Ids, encoded.Ids);
        Assert.Equal(turn, Tokenizer.Decode(encoded.Ids));
    }

    [Fact]
    public void Legacy_true_gives_each_text_piece_its_own_dummy_prefix()
    {
        string folder = CopyTokenizerFolder(config => config.Replace("\"legacy\": false", "\"legacy\": true", StringComparison.Ordinal));
        try
        {
            var legacy = Assert.IsType<SentencePieceTokenizer>(HuggingFaceTokenizer.FromFolder(folder));
            int[] hi = [.. Tokenizer.Encode("Hi", addSpecialTokens: false).Ids];

            Assert.True(legacy.Legacy);
            Assert.Equal([.. hi, 2, .. hi], legacy.Encode("Hi</s>Hi", addSpecialTokens: false).Ids);
            Assert.Equal([.. hi, 2, .. SentencePieceHiWithoutPrefix()], Tokenizer.Encode("Hi</s>Hi", addSpecialTokens: false).Ids);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Missing_config_files_fall_back_to_LlamaTokenizer_defaults()
    {
        string folder = Directory.CreateTempSubdirectory("zephyr-spm-").FullName;
        try
        {
            File.Copy(TokenizerFixtures.SpmModelPath, Path.Combine(folder, "tokenizer.model"));
            var tokenizer = Assert.IsType<SentencePieceTokenizer>(HuggingFaceTokenizer.FromFolder(folder));

            Assert.True(tokenizer.AddBosToken);
            Assert.False(tokenizer.AddEosToken);
            Assert.True(tokenizer.Legacy);
            Assert.Null(tokenizer.PadToken);
            Assert.Null(tokenizer.ChatTemplate);
            Assert.Equal(new SpecialToken("</s>", 2), tokenizer.EosToken);
            Assert.Equal(2, tokenizer.Encode("</s>", addSpecialTokens: false).Ids.Single());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Add_eos_token_appends_eos_when_configured()
    {
        string folder = CopyTokenizerFolder(config => config.Replace("\"add_eos_token\": false", "\"add_eos_token\": true", StringComparison.Ordinal));
        try
        {
            ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(folder);
            EncodedText encoded = tokenizer.Encode("Hi");

            Assert.True(tokenizer.AddEosToken);
            Assert.Equal(1, encoded.Ids[0]);
            Assert.Equal(2, encoded.Ids[^1]);
            Assert.Equal(new Range(2, 2), encoded.Offsets[^1]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Offsets_are_character_ranges_and_the_dummy_prefix_covers_nothing()
    {
        const string text = "Hello wörld 中</s>";
        EncodedText encoded = Tokenizer.Encode(text);

        Assert.Equal(encoded.Ids.Count, encoded.Offsets.Count);
        Assert.Equal(new Range(0, 0), encoded.Offsets[0]);
        for (int i = 1; i < encoded.Ids.Count - 1; i++)
        {
            string piece = Tokenizer.IdToToken(encoded.Ids[i])!;
            string covered = text[encoded.Offsets[i]];
            if (piece.StartsWith("<0x", StringComparison.Ordinal))
            {
                // A byte piece covers the whole character its byte belongs to.
                byte value = Convert.ToByte(piece[3..5], 16);
                Assert.Contains(value, System.Text.Encoding.UTF8.GetBytes(covered));
                Assert.Equal(1, new System.Globalization.StringInfo(covered).LengthInTextElements);
            }
            else
            {
                string pieceText = piece.Replace('▁', ' ');
                Assert.Equal(i == 1 ? pieceText[1..] : pieceText, covered);
            }
        }

        Assert.Equal(0, encoded.Offsets[1].Start.Value);
        Assert.Equal(new Range(text.Length - 4, text.Length), encoded.Offsets[^1]);
    }

    [Fact]
    public void Token_and_id_lookups_cover_pieces_and_added_tokens()
    {
        Assert.Equal(2, Tokenizer.TokenToId("</s>"));
        Assert.Equal(259 + 0, Tokenizer.TokenToId(Tokenizer.IdToToken(259)!));
        Assert.Null(Tokenizer.TokenToId("not a piece"));
        Assert.Equal("<s>", Tokenizer.IdToToken(1));
        Assert.Null(Tokenizer.IdToToken(512));
        Assert.Null(Tokenizer.IdToToken(-1));
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([5000]));
    }

    [Fact]
    public void Public_entry_points_reject_null()
    {
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Encode(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Decode(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.TokenToId(null!));
        Assert.Throws<ArgumentNullException>(() => HuggingFaceTokenizer.FromFolder(null!));
    }

    private static IReadOnlyList<int> SentencePieceHiWithoutPrefix()
    {
        SentencePieceBpeModel model = ((SentencePieceTokenizer)Tokenizer).Model;
        var ids = new List<int>();
        model.Encode("Hi", 0, addDummyPrefix: false, ids, offsets: null);
        return ids;
    }

    private static bool ContainsSpecialTokenText(string text) =>
        text.Contains("<s>", StringComparison.Ordinal) || text.Contains("</s>", StringComparison.Ordinal) || text.Contains("<unk>", StringComparison.Ordinal);

    private static string CopyTokenizerFolder(Func<string, string> editConfig)
    {
        string source = TokenizerFixtures.Folder("tiny-llama-tokenizer");
        string folder = Directory.CreateTempSubdirectory("zephyr-spm-").FullName;
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        string configPath = Path.Combine(folder, "tokenizer_config.json");
        string edited = editConfig(File.ReadAllText(configPath));
        Assert.NotEqual(File.ReadAllText(configPath), edited);
        File.WriteAllText(configPath, edited);
        return folder;
    }
}
