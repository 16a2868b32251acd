using TorchSharp;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Runtime;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void Torch_loads_and_computes_a_matmul()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var a = arange(0, 1024 * 1024, dtype: ScalarType.Float32).reshape(1024, 1024) / (1024f * 1024f);
        var identity = eye(1024, dtype: ScalarType.Float32);
        var product = a.matmul(identity);
        Assert.Equal(0, (product - a).abs().max().item<float>(), 6);
        var ones = torch.ones(1024, 1024);
        Assert.Equal(1024f * 1024f * 1024f, ones.matmul(ones).sum().item<float>(), 1);
    }
}
