using Zephyr.Alignment.Models;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Sft;

/// <summary>
/// Gradient accumulation normalised as TRL and transformers ≥ 4.46 do (<c>num_items_in_batch</c>): by the loss tokens
/// of the whole optimizer step. With unequal lengths and partial (assistant-only) masks, k micro-batches must give
/// exactly the gradient and loss of one batch of all k; averaging per-micro-batch token means does not.
/// </summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class SftGradientAccumulationTests
{
    // Unequal lengths, and loss tokens per micro-batch of two that differ a lot: [0,1] has 6 + 1, [2,3] has 2 + 7.
    private static readonly TokenizedConversation[] Examples =
    [
        new([1, 30, 31, 32, 33, 34, 35, 36, 37], [false, false, false, true, true, true, true, true, true]),
        new([1, 40, 41, 42], [false, false, false, true]),
        new([1, 50, 51, 52, 53, 54], [false, false, false, false, true, true]),
        new([1, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69], [false, false, false, false, true, true, true, true, true, true, true]),
    ];

    [Fact]
    public void Two_micro_batches_give_the_gradient_and_loss_of_one_batch_of_both_to_1e_6()
    {
        SftDataset data = SftDataset.Unpacked(Examples);
        (double loss, Dictionary<string, float[]> gradients) Accumulate(int[][] microBatches)
        {
            using CausalLanguageModel model = SftTestKit.TinyModel(seed: 3);
            var parameters = model.NamedTrainableParameters().ToList();
            double loss = TrainingLoop<SftBatch>.AccumulateGradients(
                model, new SftObjective(), microBatches.Length, i => data.Collate(microBatches[i]), parameters);
            var gradients = parameters.ToDictionary(p => p.Name, p => p.Parameter.grad!.data<float>().ToArray());
            return (loss, gradients);
        }

        var accumulated = Accumulate([[0, 1], [2, 3]]);
        var single = Accumulate([[0, 1, 2, 3]]);

        Assert.Equal(single.loss, accumulated.loss, 1e-6);
        double largest = 0;
        foreach (var (name, expected) in single.gradients)
        {
            float[] actual = accumulated.gradients[name];
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"{name}[{i}]: {actual[i]} vs {expected[i]}");
                largest = Math.Max(largest, Math.Abs(expected[i]));
            }
        }

        Assert.True(largest > 1e-3, "the gradients are not trivially zero");
    }

    [Fact]
    public void Through_the_loop_the_logged_loss_and_grad_norm_of_an_accumulated_step_match_one_batch()
    {
        (double Loss, double GradNorm) Step(int batch, int accumulation)
        {
            using var output = new TempDirectory();
            using CausalLanguageModel model = SftTestKit.TinyModel(seed: 3);
            TrainingOptions options = TinyTraining.Options(output.Path);
            options.PerDeviceTrainBatchSize = batch;
            options.GradientAccumulationSteps = accumulation;
            options.MaxSteps = 1;
            options.MaxGradNorm = 0;
            var callback = new RecordingCallback();
            new TrainingLoop<SftBatch>(model, new SftObjective(), SftDataset.Unpacked(Examples), options, callbacks: [callback]).Run();
            IReadOnlyDictionary<string, double> metrics = callback.Logs.Single().Metrics;
            return (metrics[MetricNames.Loss], metrics[MetricNames.GradNorm]);
        }

        var accumulated = Step(batch: 1, accumulation: 4);
        var single = Step(batch: 4, accumulation: 1);

        // The logged loss is TRL's: the step's summed token losses over its loss tokens, not a mean of micro-batch means.
        Assert.Equal(single.Loss, accumulated.Loss, 1e-6);
        Assert.Equal(single.GradNorm, accumulated.GradNorm, 1e-6);
    }
}
