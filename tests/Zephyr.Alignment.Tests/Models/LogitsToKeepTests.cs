using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

public sealed class LogitsToKeepTests
{
    [Theory]
    [InlineData("tiny-llama", 1)]
    [InlineData("tiny-mistral", 3)]
    public void Keeping_the_last_positions_gives_those_rows_of_the_full_logits(string folder, long keep)
    {
        using var scope = NewDisposeScope();
        using CausalLanguageModel model = PretrainedModel.Load(TestPaths.Fixture(folder));
        Tensor ids = arange(1, 21, ScalarType.Int64).reshape(2, 10);

        Tensor full = model.Forward(ids);
        Tensor kept = model.Forward(ids, null, null, cache: null, logitsToKeep: keep);

        Assert.Equal([2L, keep, 512L], kept.shape);
        // Not bit-identical: the head's matmul over fewer rows is blocked differently by BLAS (≈1e-6).
        Assert.True((kept - full.narrow(1, 10 - keep, keep)).abs().max().item<float>() < 1e-5f);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(ids, null, null, cache: null, logitsToKeep: -1));
    }
}
