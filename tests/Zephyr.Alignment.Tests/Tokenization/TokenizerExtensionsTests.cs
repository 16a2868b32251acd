using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

public sealed class TokenizerExtensionsTests
{
    private static readonly ITokenizer Tokenizer = HuggingFaceTokenizer.FromFolder(TestPaths.Fixture("tiny-llama-tokenizer"));

    [Fact]
    public void A_prompt_gets_bos_exactly_once_whether_or_not_the_text_wrote_it()
    {
        int bos = Tokenizer.BosToken!.Id;

        IReadOnlyList<int> plain = Tokenizer.EncodePrompt("Hello there").Ids;
        IReadOnlyList<int> written = Tokenizer.EncodePrompt("<s>Hello there").Ids;

        Assert.Equal(bos, plain[0]);
        Assert.NotEqual(bos, plain[1]);
        Assert.Equal(bos, written[0]);
        Assert.NotEqual(bos, written[1]);
        Assert.True(Tokenizer.StartsWithBos("<s>x"));
        Assert.False(Tokenizer.StartsWithBos(" <s>x"));
    }
}
