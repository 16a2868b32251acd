using Microsoft.Extensions.DependencyInjection;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.DependencyInjection;

public sealed class AddHuggingFaceModelsTests
{
    [Fact]
    public void The_registered_loader_loads_a_checkpoint_as_a_policy_in_evaluation_mode()
    {
        using ServiceProvider provider = new ServiceCollection().AddLogging().AddZephyrAlignment().AddHuggingFaceModels().Services.BuildServiceProvider();
        IPolicyModelLoader loader = provider.GetRequiredService<IPolicyModelLoader>();

        using IPolicyModel model = loader.Load(TestPaths.Fixture("tiny-llama"), new TorchDeviceOptions { DType = "bfloat16" });

        Assert.Equal(512, model.VocabularySize);
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, model.DType);
        Assert.False(model.IsTraining);
    }
}
