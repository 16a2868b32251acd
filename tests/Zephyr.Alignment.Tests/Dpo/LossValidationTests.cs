using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Losses.Legacy;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>Bad hyperparameters and malformed batches fail at the entry point with a message naming the value.</summary>
public sealed class LossValidationTests
{
    public static TheoryData<string, double> NamesAndBadBetas
    {
        get
        {
            var data = new TheoryData<string, double>();
            foreach (string name in DpoLosses.Names)
            {
                foreach (double beta in new[] { 0.0, -0.1, double.NaN, double.PositiveInfinity })
                {
                    data.Add(name, beta);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(NamesAndBadBetas))]
    public void Beta_must_be_finite_and_positive(string name, double beta)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => DpoLosses.Create(name, beta, labelSmoothing: 0.1));
        Assert.Contains("beta", error.Message, StringComparison.Ordinal);
        Assert.Contains(beta.ToString(System.Globalization.CultureInfo.CurrentCulture), error.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => DpoLosses.CreateLegacy(name == "sigmoid_norm" ? "sigmoid" : name, beta));
    }

    [Theory]
    [InlineData("robust", 0.5)]
    [InlineData("robust", -0.01)]
    [InlineData("aot", 0.7)]
    [InlineData("aot_unpaired", double.NaN)]
    [InlineData("exo_pair", 0.5)]
    [InlineData("sigmoid", 0.5)]
    [InlineData("hinge", -1.0)]
    public void Label_smoothing_must_lie_in_zero_to_one_half(string name, double labelSmoothing)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => DpoLosses.Create(name, 0.1, labelSmoothing));
        Assert.Contains("label_smoothing", error.Message, StringComparison.Ordinal);
        Assert.Contains(labelSmoothing.ToString(System.Globalization.CultureInfo.CurrentCulture), error.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => DpoLosses.CreateLegacy(name, 0.1, labelSmoothing));
    }

    [Fact]
    public void Current_exo_pair_rejects_a_zero_epsilon_where_legacy_substituted_one_thousandth()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => DpoLosses.Create("exo_pair", 0.1, labelSmoothing: 0.0));
        Assert.Contains("exo_pair", error.Message, StringComparison.Ordinal);
        Assert.Contains("got 0", error.Message, StringComparison.Ordinal);
        Assert.Equal(LegacyExoPairLoss.DefaultEpsilon, new LegacyExoPairLoss(0.1, 0.0).Epsilon);
        Assert.Equal(0.05, new LegacyExoPairLoss(0.1, 0.05).Epsilon);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.05)]
    [InlineData(double.NaN)]
    public void Discopop_tau_must_be_positive(double tau)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new DiscoPopLoss(0.1, tau));
        Assert.Contains("discopop_tau", error.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => DpoLosses.Create("sigmoid", 0.1, discopopTau: tau));
    }

    [Fact]
    public void Unknown_loss_types_are_rejected_with_the_known_names()
    {
        var error = Assert.Throws<ArgumentException>(() => DpoLosses.Create("dpo", 0.1));
        Assert.Contains("'dpo'", error.Message, StringComparison.Ordinal);
        foreach (string name in DpoLosses.Names)
        {
            Assert.Contains(name, error.Message, StringComparison.Ordinal);
        }

        var legacy = Assert.Throws<ArgumentException>(() => DpoLosses.CreateLegacy("sigmoid_norm", 0.1));
        Assert.Contains("'sigmoid_norm'", legacy.Message, StringComparison.Ordinal);
        Assert.Contains("bco_pair", legacy.Message, StringComparison.Ordinal);
        var divergence = Assert.Throws<ArgumentException>(() => DivergenceScores.Create("kl"));
        Assert.Contains("js_divergence", divergence.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loss_lists_and_weights_must_agree()
    {
        Assert.Throws<ArgumentException>(() => DpoLosses.Create([], null, 0.1));
        var mismatch = Assert.Throws<ArgumentException>(() => DpoLosses.Create(["sigmoid", "sft"], [1.0], 0.1));
        Assert.Contains("loss_weights has 1", mismatch.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new CombinedLoss([]));
        var nonFinite = Assert.Throws<ArgumentException>(() => new CombinedLoss([(new SigmoidLoss(0.1), double.NaN)]));
        Assert.Contains("NaN", nonFinite.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => DpoLosses.CreateLegacy(["ipo", "sigmoid"], null, 0.1));
        var rpo = Assert.ThrowsAny<ArgumentException>(() => DpoLosses.CreateLegacy("sigmoid", 0.1, rpoAlpha: -1.0));
        Assert.Contains("rpo_alpha", rpo.Message, StringComparison.Ordinal);
        Assert.ThrowsAny<ArgumentException>(() => new AlphaDivergenceScore(double.NaN));
    }

    [Fact]
    public void Length_normalised_losses_need_the_lengths()
    {
        using var batch = FixtureBatch.From(DpoFixture.Root.GetProperty("batches").GetProperty("realistic_a"));
        var inputs = new PreferenceLossInputs
        {
            PolicyChosenLogps = batch.Inputs.PolicyChosenLogps,
            PolicyRejectedLogps = batch.Inputs.PolicyRejectedLogps,
            ReferenceChosenLogps = batch.Inputs.ReferenceChosenLogps,
            ReferenceRejectedLogps = batch.Inputs.ReferenceRejectedLogps,
        };

        foreach (ILossFunction loss in new ILossFunction[] { new IpoLoss(0.1), new SigmoidNormLoss(0.1), new LegacyIpoLoss(0.1) })
        {
            var error = Assert.Throws<ArgumentException>(() => loss.Compute(inputs));
            Assert.Contains("ChosenLengths", error.Message, StringComparison.Ordinal);
        }

        var sft = Assert.Throws<ArgumentException>(() => new SftLoss(0.1).Compute(inputs));
        Assert.Contains("ChosenTokenNllMean", sft.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_batches_are_rejected_before_any_tensor_op()
    {
        using var good = ones(4, dtype: ScalarType.Float64);
        using var shorter = ones(3, dtype: ScalarType.Float64);
        using var single = ones(4, dtype: ScalarType.Float32);
        using var matrix = ones(4, 2, dtype: ScalarType.Float64);
        using var integers = ones(4, dtype: ScalarType.Int64);
        using var empty = ones(0, dtype: ScalarType.Float64);
        using var pairNll = ones(2, dtype: ScalarType.Float64);
        var loss = new SigmoidLoss(0.1);

        PreferenceLossInputs Batch(Tensor policyChosen, Tensor other, Tensor? lengths = null, Tensor? nll = null) => new()
        {
            PolicyChosenLogps = policyChosen,
            PolicyRejectedLogps = other,
            ReferenceChosenLogps = good,
            ReferenceRejectedLogps = good,
            ChosenLengths = lengths,
            ChosenTokenNllMean = nll,
        };

        Assert.Contains("shape [3]", Assert.Throws<ArgumentException>(() => loss.Compute(Batch(good, shorter))).Message, StringComparison.Ordinal);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => loss.Compute(Batch(good, single))).Message, StringComparison.Ordinal);
        Assert.Contains("[4, 2]", Assert.Throws<ArgumentException>(() => loss.Compute(Batch(matrix, good))).Message, StringComparison.Ordinal);
        Assert.Contains("floating-point", Assert.Throws<ArgumentException>(() => loss.Compute(Batch(integers, good))).Message, StringComparison.Ordinal);
        Assert.Contains("non-empty", Assert.Throws<ArgumentException>(() => loss.Compute(Batch(empty, empty))).Message, StringComparison.Ordinal);
        Assert.Contains("ChosenLengths", Assert.Throws<ArgumentException>(() => loss.Compute(Batch(good, good, lengths: shorter))).Message, StringComparison.Ordinal);
        Assert.Contains("scalar", Assert.Throws<ArgumentException>(() => loss.Compute(Batch(good, good, nll: pairNll))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => loss.Compute(null!));
        Assert.Throws<ArgumentNullException>(() => loss.Compute(Batch(good, null!)));
    }
}
