using Microsoft.ML.Tokenizers;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

public sealed class SentencePieceBpeModelTests
{
    private static readonly Lazy<SentencePieceBpeModel> LazyModel = new(() => SentencePieceBpeModel.FromFile(TokenizerFixtures.SpmModelPath));

    // The space-run cases ("multiple   internal    spaces", four-space code indents) where ML.Tokenizers 2.0.1 breaks score ties rightmost-first instead of leftmost-first.
    private static readonly int[] SpaceRunCases = [9, 37, 38];

    private static SentencePieceBpeModel Model => LazyModel.Value;

    public static TheoryData<int> SpmCaseIndices => [.. Enumerable.Range(0, TokenizerFixtures.SpmCases.Count)];

    [Fact]
    public void Fixture_has_48_cases() => Assert.Equal(48, TokenizerFixtures.SpmCases.Count);

    [Fact]
    public void Model_reads_the_trainer_and_normalizer_specs()
    {
        Assert.Equal(512, Model.Count);
        Assert.Equal(0, Model.UnknownId);
        Assert.Equal(1, Model.BosId);
        Assert.Equal(2, Model.EosId);
        Assert.Equal(-1, Model.PadId);
        Assert.True(Model.ByteFallback);
        Assert.Equal("identity", Model.NormalizerName);
        Assert.True(Model.AddDummyPrefix);
        Assert.False(Model.RemoveExtraWhitespaces);
        Assert.True(Model.EscapeWhitespaces);
        Assert.Equal(SentencePieceType.Unknown, Model.GetPieceType(0));
        Assert.Equal(SentencePieceType.Control, Model.GetPieceType(1));
        Assert.Equal("<0x00>", Model.IdToPiece(3));
        Assert.Equal(SentencePieceType.Byte, Model.GetPieceType(258));
        Assert.Equal("<0xFF>", Model.IdToPiece(258));
        Assert.Equal(SentencePieceType.Normal, Model.GetPieceType(259));
    }

    [Theory]
    [MemberData(nameof(SpmCaseIndices))]
    public void Encode_matches_SentencePiece_ids_and_pieces(int index)
    {
        SpmCase expected = TokenizerFixtures.SpmCases[index];

        Assert.Equal(expected.Ids, Model.Encode(expected.Text));
        Assert.Equal(expected.Pieces, Model.EncodeToPieces(expected.Text));
    }

    [Theory]
    [MemberData(nameof(SpmCaseIndices))]
    public void Decode_matches_spm_decode(int index)
    {
        SpmCase expected = TokenizerFixtures.SpmCases[index];

        string decoded = Model.Decode(expected.Ids);

        Assert.Equal(expected.Decoded, decoded);
        Assert.Equal(expected.RoundTripEqual, decoded == expected.Text);
    }

    [Fact]
    public void Runs_of_spaces_merge_leftmost_first_on_score_ties()
    {
        Assert.Equal(["▁▁", "▁▁"], Model.EncodeToPieces("   "));
        Assert.Equal(["▁▁", "▁▁", "▁"], Model.EncodeToPieces("    "));
        Assert.Equal(["▁▁"], Model.EncodeToPieces(" "));
    }

    [Fact]
    public void Unknown_characters_fall_back_to_their_utf8_bytes()
    {
        // U+4E2D is not in the tiny vocabulary: its three UTF-8 bytes E4 B8 AD come out as byte pieces.
        Assert.Equal(["▁", "<0xE4>", "<0xB8>", "<0xAD>"], Model.EncodeToPieces("中"));
        Assert.Equal("中", Model.Decode(Model.Encode("中")));
    }

    [Fact]
    public void Decode_replaces_invalid_utf8_bytes()
    {
        int truncatedLead = Model.PieceToId("<0xE4>")!.Value;
        Assert.Equal("\uFFFD", Model.Decode([truncatedLead]));
    }

    [Fact]
    public void Control_pieces_are_dropped_and_unknown_shows_as_double_question_mark()
    {
        int hello = Model.PieceToId("▁a")!.Value;
        Assert.Equal("a \u2047 ", Model.Decode([Model.BosId, hello, Model.UnknownId, Model.EosId]));
    }

    [Fact]
    public void PieceToId_is_exact_and_null_for_unknown_strings()
    {
        Assert.Equal(1, Model.PieceToId("<s>"));
        Assert.Null(Model.PieceToId("no such piece"));
    }

    /// <summary>
    /// Documents where Microsoft.ML.Tokenizers 2.0.1's <c>LlamaTokenizer</c> disagrees with SentencePiece: on runs of
    /// spaces it merges the rightmost of equal-score pairs first. If this test fails after a package update, the
    /// library has changed (possibly fixed) and our own encoder may no longer be needed.
    /// </summary>
    [Fact]
    public void MLTokenizers_LlamaTokenizer_still_gets_exactly_the_space_run_cases_wrong()
    {
        using FileStream stream = File.OpenRead(TokenizerFixtures.SpmModelPath);
        LlamaTokenizer llama = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);

        var disagreements = new List<int>();
        for (int index = 0; index < TokenizerFixtures.SpmCases.Count; index++)
        {
            SpmCase expected = TokenizerFixtures.SpmCases[index];
            if (!llama.EncodeToIds(expected.Text).SequenceEqual(expected.Ids))
            {
                disagreements.Add(index);
            }
        }

        Assert.Equal(SpaceRunCases, disagreements);
        const string fourSpaces = "    indented code line";
        Assert.Equal(["▁", "▁▁", "▁▁", "ind"], llama.EncodeToTokens(fourSpaces, out _).Select(token => token.Value).Take(4));
        Assert.Equal(["▁▁", "▁▁", "▁", "ind"], Model.EncodeToPieces(fourSpaces).Take(4));
    }
}
