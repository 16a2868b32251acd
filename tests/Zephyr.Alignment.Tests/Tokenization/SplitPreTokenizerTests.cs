using System.Text.RegularExpressions;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

/// <summary>
/// The Split behaviors against the examples of Hugging Face tokenizers' <c>SplitDelimiterBehavior</c> documentation
/// ("the-final--countdown" split on '-'), which transformers.js cannot serve as a reference for.
/// </summary>
public sealed class SplitPreTokenizerTests
{
    [Theory]
    [InlineData(SplitBehavior.Removed, false, "the|final|countdown")]
    [InlineData(SplitBehavior.Isolated, false, "the|-|final|-|-|countdown")]
    [InlineData(SplitBehavior.MergedWithPrevious, false, "the-|final-|-|countdown")]
    [InlineData(SplitBehavior.MergedWithNext, false, "the|-final|-|-countdown")]
    [InlineData(SplitBehavior.Contiguous, false, "the|-|final|--|countdown")]
    [InlineData(SplitBehavior.Removed, true, "-|-|-")]
    internal void Splits_as_tokenizers_documents(SplitBehavior behavior, bool invert, string expected)
    {
        var splitter = new SplitPreTokenizer(new Regex("-"), behavior, invert);
        var output = new List<NormalizedText>();

        splitter.PreTokenize(new NormalizedText("the-final--countdown", 0, 20), output);

        Assert.Equal(expected, string.Join('|', output.Select(piece => piece.Text)));
    }

    [Fact]
    public void Pieces_remember_their_original_ranges_through_prepend_and_replace()
    {
        var text = new NormalizedText("xx a b", 3, 3);
        text.Replace(new Regex(" "), "\u2581");
        text.Prepend("\u2581");

        Assert.Equal("\u2581a\u2581b", text.Text);
        Assert.Equal(new Range(3, 3), text.OriginalRange(0, 1));
        Assert.Equal(new Range(3, 4), text.OriginalRange(0, 2));
        Assert.Equal(new Range(4, 6), text.OriginalRange(2, 2));
    }

    [Theory]
    [InlineData(MetaspacePrependScheme.Always, true, "a  b", "\u2581a|\u2581|\u2581b")]
    [InlineData(MetaspacePrependScheme.Always, false, "a  b", "\u2581a\u2581\u2581b")]
    [InlineData(MetaspacePrependScheme.Never, true, "a b", "a|\u2581b")]
    [InlineData(MetaspacePrependScheme.Always, false, " a", "\u2581a")]
    internal void Metaspace_replaces_spaces_prepends_and_splits_before_each_replacement(MetaspacePrependScheme scheme, bool split, string input, string expected)
    {
        // tokenizers' Metaspace: split uses MergedWithNext on the replacement, so a run of spaces becomes lone ▁ pieces.
        var metaspace = new MetaspacePreTokenizer('\u2581', scheme, split);
        var output = new List<NormalizedText>();

        metaspace.PreTokenize(new NormalizedText(input, 0, input.Length), output);

        Assert.Equal(expected, string.Join('|', output.Select(piece => piece.Text)));
    }

    [Fact]
    public void First_prepends_only_to_the_piece_at_the_start_of_the_input()
    {
        var metaspace = new MetaspacePreTokenizer('\u2581', MetaspacePrependScheme.First, split: false);
        var output = new List<NormalizedText>();

        metaspace.PreTokenize(new NormalizedText("<s>Hi there", 0, 2), output);
        metaspace.PreTokenize(new NormalizedText("<s>Hi there", 3, 8), output);

        Assert.Equal(["\u2581<s", "Hi\u2581there"], output.Select(piece => piece.Text));
    }
}
