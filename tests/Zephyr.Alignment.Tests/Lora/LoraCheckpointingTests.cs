using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Lora;

[Collection(GlobalRandomStateCollection.Name)]
public sealed class LoraCheckpointingTests
{
    [Fact]
    public void With_gradient_checkpointing_the_adapters_get_the_same_gradients_as_without()
    {
        var gradients = new List<Dictionary<string, byte[]>>();
        foreach (bool checkpointing in new[] { false, true })
        {
            using CausalLanguageModel model = TinyTraining.Model();
            using LoraModel lora = LoraModel.Create(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, seed: 3);
            LoraModelTests.Perturb(lora);
            Assert.IsAssignableFrom<IGradientCheckpointing>(lora.GetService(typeof(IGradientCheckpointing))).GradientCheckpointing = checkpointing;
            lora.SetTrainingMode(true);
            using (var scope = NewDisposeScope())
            {
                Tensor logits = lora.Forward(tensor(new long[] { 1, 5, 9, 13, 17, 21, 2, 4, 6, 8, 10, 12 }, [2, 6]));
                logits.pow(2).mean().backward();
            }

            gradients.Add(lora.NamedTrainableParameters().ToDictionary(p => p.Name, p =>
            {
                Assert.NotNull(p.Parameter.grad);
                return TinyTraining.Bytes(p.Parameter.grad!);
            }));
            Assert.All(lora.NamedBaseParameters(), p => Assert.Null(p.Parameter.grad));
        }

        Assert.Equal(gradients[0].Keys.Order(), gradients[1].Keys.Order());
        Assert.All(gradients[0], g => Assert.True(g.Value.AsSpan().SequenceEqual(gradients[1][g.Key]), g.Key));
    }
}
