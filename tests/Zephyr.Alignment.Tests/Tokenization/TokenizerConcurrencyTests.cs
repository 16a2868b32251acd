using System.Collections.Concurrent;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

public sealed class TokenizerConcurrencyTests
{
    [Theory]
    [InlineData("tiny-llama-tokenizer")]
    [InlineData("bpe-tiny")]
    public void One_tokenizer_shared_by_many_threads_gives_the_same_ids(string folder)
    {
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(TokenizerFixtures.Folder(folder));
        string[] texts = [.. TokenizerFixtures.FuzzStrings.Select(item => item.Text), .. TokenizerFixtures.SpmCases.Select(item => item.Text)];
        int[][] sequential = [.. texts.Select(text => tokenizer.Encode(text).Ids.ToArray())];

        var mismatches = new ConcurrentBag<int>();
        Parallel.For(0, texts.Length * 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int index = i % texts.Length;
            if (!tokenizer.Encode(texts[index]).Ids.SequenceEqual(sequential[index]))
            {
                mismatches.Add(index);
            }
        });

        Assert.Empty(mismatches);
    }
}
