using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

/// <summary>
/// The BPE rules of tokenizers' <c>BPE::merge_word</c> that the real fixtures do not pin down: equal ranks go to the
/// leftmost pair, and characters outside the vocabulary become byte tokens or (fused) unknown tokens.
/// </summary>
public sealed class MergeRankBpeTests
{
    [Fact]
    public void Equal_ranks_merge_the_leftmost_pair_first()
    {
        using var temp = new TempDirectory();
        ITokenizer tokenizer = Write(temp, """{"<unk>": 0, "a": 1, "aa": 2}""", """["a a"]""", byteFallback: false, fuseUnk: false);

        Assert.Equal([2, 1], tokenizer.Encode("aaa", addSpecialTokens: false).Ids);
        Assert.Equal([2, 2], tokenizer.Encode("aaaa", addSpecialTokens: false).Ids);
    }

    [Fact]
    public void Lower_rank_wins_over_position()
    {
        using var temp = new TempDirectory();
        ITokenizer tokenizer = Write(temp, """{"<unk>": 0, "a": 1, "b": 2, "ab": 3, "ba": 4}""", """["b a", "a b"]""", byteFallback: false, fuseUnk: false);

        // "a b" is leftmost, but "b a" has the lower rank.
        Assert.Equal([1, 4], tokenizer.Encode("aba", addSpecialTokens: false).Ids);
    }

    [Fact]
    public void Unknown_characters_become_byte_tokens_with_byte_fallback_else_unknown_tokens_fused_or_not()
    {
        using var temp = new TempDirectory();
        ITokenizer bytes = Write(temp, """{"<unk>": 0, "a": 1, "<0xC3>": 2, "<0xA9>": 3}""", "[]", byteFallback: true, fuseUnk: true);
        Assert.Equal([1, 2, 3, 1], bytes.Encode("aéa", addSpecialTokens: false).Ids);
        Assert.Equal("aéa", bytes.Decode([1, 2, 3, 1]));
        Assert.Equal("a\uFFFDa", bytes.Decode([1, 2, 1]));

        using var temp2 = new TempDirectory();
        ITokenizer fused = Write(temp2, """{"<unk>": 0, "a": 1}""", "[]", byteFallback: false, fuseUnk: true);
        Assert.Equal([1, 0, 1], fused.Encode("aééa", addSpecialTokens: false).Ids);

        using var temp3 = new TempDirectory();
        ITokenizer separate = Write(temp3, """{"<unk>": 0, "a": 1}""", "[]", byteFallback: false, fuseUnk: false);
        Assert.Equal([1, 0, 0, 1], separate.Encode("aééa", addSpecialTokens: false).Ids);
    }

    private static ITokenizer Write(TempDirectory temp, string vocab, string merges, bool byteFallback, bool fuseUnk)
    {
        string json = "{\"model\": {\"type\": \"BPE\", \"unk_token\": \"<unk>\", \"byte_fallback\": " + (byteFallback ? "true" : "false")
            + ", \"fuse_unk\": " + (fuseUnk ? "true" : "false") + ", \"vocab\": " + vocab + ", \"merges\": " + merges
            + "}, \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"ByteFallback\"}, {\"type\": \"Fuse\"}]}}";
        File.WriteAllText(temp.File("tokenizer.json"), json);
        return HuggingFaceTokenizer.FromFolder(temp.Path);
    }
}
