using Zephyr.Alignment.Models;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Sft.Masking;
using Zephyr.Alignment.Tests.Models;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Sft;

public sealed class SftObjectiveTests
{
    private static readonly TokenizedConversation[] Examples =
    [
        new([1, 30, 31, 32, 33], [false, false, true, true, true]),
        new([1, 40, 41], [false, true, true]),
        new([1, 50, 51, 52], [false, false, false, true]),
    ];

    [Fact]
    public void The_loss_is_the_mean_cross_entropy_of_the_next_token_over_masked_positions()
    {
        using CausalLanguageModel model = ModelFixtures.Load("tiny-llama");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using SftBatch batch = SftDataset.Unpacked(Examples).Collate([0, 1, 2]);

        ObjectiveOutput output = new SftObjective().ComputeLoss(model, batch, training: false);

        // By hand: -log softmax(logits[t])[ids[t + 1]] for each trained target t + 1, averaged.
        var losses = new List<double>();
        var correct = 0;
        foreach (TokenizedConversation example in Examples)
        {
            Tensor logits = model.Forward(tensor(example.InputIds.Select(i => (long)i).ToArray(), [1, example.InputIds.Length]))[0];
            Tensor logProbs = logits.log_softmax(-1);
            for (int t = 1; t < example.InputIds.Length; t++)
            {
                if (example.CompletionMask[t])
                {
                    losses.Add(-logProbs[t - 1, example.InputIds[t]].item<float>());
                    correct += logits[t - 1].argmax().item<long>() == example.InputIds[t] ? 1 : 0;
                }
            }
        }

        Assert.Equal(6, losses.Count);
        Assert.Equal(losses.Average(), output.Loss.item<float>(), 1e-5);
        Assert.Equal(6.0, output.Weight);
        Assert.Equal((double)correct / 6, output.Metrics[MetricNames.MeanTokenAccuracy], 12);
        Assert.Equal(12.0, output.Counts![MetricNames.NumTokens]);
    }

    [Fact]
    public void Token_accuracy_counts_argmax_hits_on_masked_positions_only()
    {
        // Position 0 predicts a token outside the loss, position 1 hits its target and position 2 misses it.
        TokenizedConversation example = new([1, 30, 31, 32], [false, false, true, true]);
        using SftBatch batch = SftDataset.Unpacked([example]).Collate([0]);
        using var scope = NewDisposeScope();
        Tensor logits = zeros(1, 4, 64);
        logits[0, 0, 5] = tensor(10f); // predicts 5, target 30: outside the loss, must not count
        logits[0, 1, 31] = tensor(10f);
        logits[0, 2, 7] = tensor(10f); // predicts 7, target 32: a miss
        using var policy = new ConstantPolicy(logits);

        ObjectiveOutput output = new SftObjective().ComputeLoss(policy, batch, training: false);

        Assert.Equal(0.5, output.Metrics[MetricNames.MeanTokenAccuracy]);
        Assert.Equal(2.0, output.Weight);
    }

    [Fact]
    public void A_batch_without_loss_tokens_has_a_zero_loss_and_no_metrics()
    {
        TokenizedConversation example = new([1, 30, 31], [true, false, false]);
        using SftBatch batch = SftDataset.Unpacked([example]).Collate([0]);
        using var scope = NewDisposeScope();
        using var policy = new ConstantPolicy(zeros(1, 3, 64));

        ObjectiveOutput output = new SftObjective().ComputeLoss(policy, batch, training: false);

        Assert.Equal(0f, output.Loss.item<float>());
        Assert.Empty(output.Metrics);
        Assert.Equal(3.0, output.Counts![MetricNames.NumTokens]);
        Assert.Equal([-100L, -100, -100], LossMask.Labels(example.InputIds, example.CompletionMask));
    }

    private sealed class ConstantPolicy(Tensor logits) : IPolicyModel
    {
        public int VocabularySize => (int)logits.shape[2];

        public Device Device => CPU;

        public ScalarType DType => ScalarType.Float32;

        public bool IsTraining => false;

        public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null) => logits;

        public IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> NamedTrainableParameters() => [];

        public void MoveTo(Device device, ScalarType? dtype = null)
        {
        }

        public void SetTrainingMode(bool training)
        {
        }

        public void Save(string directory) => throw new NotSupportedException();

        public void Dispose()
        {
            // The logits belong to the test's dispose scope.
        }
    }
}
