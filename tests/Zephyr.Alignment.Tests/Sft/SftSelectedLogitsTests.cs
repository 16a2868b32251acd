using Zephyr.Alignment.Models;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Sft.Masking;
using Zephyr.Alignment.Tests.Training;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Sft;

/// <summary>
/// SFT computes logits only where a label is in the loss (<see cref="IPolicyModel.ForwardAt"/>): the loss, the token
/// accuracy, the token count and every parameter gradient equal those of the full <c>[B, T, V]</c> logits.
/// </summary>
public sealed class SftSelectedLogitsTests
{
    // Unequal lengths (padding), prompt tokens outside the loss, and a masked span in the middle (a user turn).
    private static readonly TokenizedConversation[] Examples =
    [
        new([1, 30, 31, 32, 33, 34, 35, 36, 37], [false, false, false, true, true, false, false, true, true]),
        new([1, 40, 41], [false, true, true]),
        new([1, 50, 51, 52, 53, 54], [false, false, false, true, true, true]),
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Loss_metrics_and_gradients_equal_the_full_logits_path(bool packed)
    {
        SftDataset data = packed ? SftDataset.Packed(Examples, maxLength: 12) : SftDataset.Unpacked(Examples);
        using SftBatch batch = data.Collate([.. Enumerable.Range(0, data.Rows.Count)]);
        using CausalLanguageModel model = TinyTraining.Model(seed: 7);
        using var scope = NewDisposeScope();

        ObjectiveOutput selected = new SftObjective().ComputeLoss(model, batch, training: true);
        selected.Loss.backward();
        Dictionary<string, Tensor> selectedGrads = TinyTraining.TakeGradients(model);

        var (fullLoss, fullAccuracy, lossTokens) = FullLogitsLoss(model, batch);
        fullLoss.backward();
        Dictionary<string, Tensor> fullGrads = TinyTraining.TakeGradients(model);

        Assert.Equal(fullLoss.item<float>(), selected.Loss.item<float>(), 1e-6);
        Assert.Equal(fullAccuracy, selected.Metrics[MetricNames.MeanTokenAccuracy], 12);
        Assert.Equal(lossTokens, selected.Weight);
        Assert.Equal(lossTokens, selected.LossItems);
        Assert.Equal(batch.AttentionMask.sum().item<long>(), selected.Counts![MetricNames.NumTokens]);
        TinyTraining.AssertGradientsClose(fullGrads, selectedGrads, 1e-6);
    }

    [Fact]
    public void Every_label_masked_gives_a_zero_loss_that_backpropagates()
    {
        TokenizedConversation example = new([1, 30, 31], [false, false, false]);
        using SftBatch batch = SftDataset.Unpacked([example]).Collate([0]);
        using CausalLanguageModel model = TinyTraining.Model();
        using var scope = NewDisposeScope();

        ObjectiveOutput output = new SftObjective().ComputeLoss(model, batch, training: true);
        output.Loss.backward();

        Assert.Equal(0f, output.Loss.item<float>());
        Assert.Equal(0.0, output.LossItems);
        Assert.Empty(output.Metrics);
    }

    /// <summary>The loss as it was computed before selected logits: full logits, shifted labels, token mean.</summary>
    private static (Tensor Loss, double Accuracy, double LossTokens) FullLogitsLoss(IPolicyModel model, SftBatch batch)
    {
        Tensor logits = model.Forward(batch.InputIds, batch.ModelAttentionMask(CPU), batch.PositionIds); // [B, T, V]
        Tensor targets = batch.Labels[.., 1..];
        Tensor inLoss = targets.ne(LossMask.IgnoreIndex);
        long lossTokens = inLoss.sum().item<long>();
        Tensor loss = SftObjective.TokenLosses(logits, batch.Labels).sum() / lossTokens;
        long correct = logits[.., ..^1].argmax(-1).eq(targets).logical_and(inLoss).sum().item<long>();
        return (loss, (double)correct / lossTokens, lossTokens);
    }
}
