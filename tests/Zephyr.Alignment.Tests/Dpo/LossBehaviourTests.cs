using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Losses.Legacy;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>What the fixture cannot show: gradients, dtypes, disposal, and that a new loss is one small class.</summary>
public sealed class LossBehaviourTests
{
    public static TheoryData<string> CurrentNames => [.. DpoLosses.Names];

    public static TheoryData<string> LegacyNames => [.. DpoLosses.LegacyNames];

    public static TheoryData<string, ScalarType> NamesAndDtypes
    {
        get
        {
            var data = new TheoryData<string, ScalarType>();
            foreach (string name in DpoLosses.Names)
            {
                data.Add(name, ScalarType.Float64);
                data.Add(name, ScalarType.Float32);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CurrentNames))]
    public void Gradients_flow_to_the_policy_log_probs(string name) =>
        AssertGradientsFlow(DpoLosses.Create(name, beta: 0.1, labelSmoothing: 0.1), name);

    [Theory]
    [MemberData(nameof(LegacyNames))]
    public void Legacy_gradients_flow_to_the_policy_log_probs(string name) =>
        AssertGradientsFlow(DpoLosses.CreateLegacy(name, beta: 0.1, labelSmoothing: 0.1), name);

    [Fact]
    public void Gradients_flow_through_every_divergence_score()
    {
        foreach (string divergence in DivergenceScores.Names)
        {
            AssertGradientsFlow(new SigmoidLoss(0.1, DivergenceScores.Create(divergence, 0.3)), DpoLossNames.Sigmoid);
        }
    }

    [Theory]
    [MemberData(nameof(NamesAndDtypes))]
    public void Outputs_keep_the_input_dtype_and_nothing_else_outlives_the_call(string name, ScalarType dtype)
    {
        using var batch = FixtureBatch.From(DpoFixture.Root.GetProperty("batches").GetProperty("realistic_b"), dtype);
        using Tensor nll = tensor(1.25, dtype);
        PreferenceLossInputs inputs = WithNll(batch.Inputs, nll);
        ILossFunction loss = DpoLosses.Create(name, beta: 0.1, labelSmoothing: 0.1);

        using var outer = NewDisposeScope();
        PreferenceLossOutput output = loss.Compute(inputs);

        // Only the three outputs were handed to the caller's scope; every intermediate was disposed inside.
        Assert.Equal(3, outer.DisposablesCount);
        foreach (Tensor t in new[] { output.Losses, output.ChosenRewards, output.RejectedRewards })
        {
            Assert.Equal(dtype, t.dtype);
            Assert.Equal([8L], t.shape);
            Assert.True(t.isfinite().all().item<bool>(), $"{name} gave a non-finite value in {dtype}.");
        }
    }

    [Fact]
    public void A_combined_loss_is_the_weighted_sum_of_its_terms_and_reports_the_first_terms_rewards()
    {
        using var batch = FixtureBatch.From(DpoFixture.Root.GetProperty("batches").GetProperty("realistic_c"));
        var sigmoid = new SigmoidLoss(0.1);
        var hinge = new HingeLoss(0.1);
        var combined = new CombinedLoss([(sigmoid, 0.25), (hinge, 2.0)]);

        using PreferenceLossOutput both = combined.Compute(batch.Inputs);
        using PreferenceLossOutput first = sigmoid.Compute(batch.Inputs);
        using PreferenceLossOutput second = hinge.Compute(batch.Inputs);

        double[] expected = [.. Approx.Values(first.Losses).Zip(Approx.Values(second.Losses), (a, b) => (0.25 * a) + (2.0 * b))];
        Approx.Relative(expected, Approx.Values(both.Losses), 1e-15, "weighted sum");
        Assert.Equal(Approx.Values(first.ChosenRewards), Approx.Values(both.ChosenRewards));
        Assert.Equal(Approx.Values(first.RejectedRewards), Approx.Values(both.RejectedRewards));
        Assert.Equal("sigmoid+hinge", combined.Name);
    }

    [Fact]
    public void A_loss_written_outside_the_library_plugs_in_as_one_class()
    {
        using var batch = FixtureBatch.From(DpoFixture.Root.GetProperty("batches").GetProperty("realistic_a"));
        var custom = new SquaredHingeLoss(0.5);

        using PreferenceLossOutput output = new CombinedLoss([(custom, 1.0), (new SigmoidLoss(0.5), 1.0)]).Compute(batch.Inputs);
        using PreferenceLossOutput alone = custom.Compute(batch.Inputs);

        double[] pc = Approx.Values(batch.Inputs.PolicyChosenLogps), pr = Approx.Values(batch.Inputs.PolicyRejectedLogps);
        double[] rc = Approx.Values(batch.Inputs.ReferenceChosenLogps), rr = Approx.Values(batch.Inputs.ReferenceRejectedLogps);
        double[] expected = [.. Enumerable.Range(0, pc.Length).Select(i => Math.Pow(Math.Max(0, 1 - (0.5 * ((pc[i] - rc[i]) - (pr[i] - rr[i])))), 2))];
        Approx.Relative(expected, Approx.Values(alone.Losses), 1e-12, "squared hinge");
        double[] expectedRewards = [.. Enumerable.Range(0, pc.Length).Select(i => 0.5 * (pc[i] - rc[i]))];
        Assert.Equal(expectedRewards, Approx.Values(alone.ChosenRewards));
        Assert.Equal(8, output.Losses.shape[0]);
    }

    [Fact]
    public void Alpha_divergence_near_one_falls_back_to_reverse_kl()
    {
        using var batch = FixtureBatch.From(DpoFixture.Root.GetProperty("batches").GetProperty("realistic_b"));
        using PreferenceLossOutput alpha = new SigmoidLoss(0.1, new AlphaDivergenceScore(1.0 + 5e-7)).Compute(batch.Inputs);
        using PreferenceLossOutput reverse = new SigmoidLoss(0.1).Compute(batch.Inputs);

        Assert.Equal(Approx.Values(reverse.Losses), Approx.Values(alpha.Losses));
    }

    [Fact]
    public void Divergence_scores_are_created_from_their_trl_names()
    {
        foreach (string name in DivergenceScores.Names)
        {
            Assert.Equal(name, DivergenceScores.Create(name).Name);
        }

        Assert.Equal(0.3, Assert.IsType<AlphaDivergenceScore>(DivergenceScores.Create("alpha_divergence", 0.3)).Alpha);
        Assert.Same(ReverseKlScore.Instance, new SigmoidLoss(0.1).Divergence);
    }

    [Fact]
    public void The_factory_returns_single_losses_unwrapped_and_weighted_ones_combined()
    {
        Assert.IsType<SigmoidLoss>(DpoLosses.Create(["sigmoid"], null, 0.1));
        Assert.IsType<SigmoidLoss>(DpoLosses.Create(["sigmoid"], [1.0], 0.1));
        var weighted = Assert.IsType<CombinedLoss>(DpoLosses.Create(["sigmoid"], [0.5], 0.1));
        Assert.Equal(0.5, Assert.Single(weighted.Terms).Weight);
        var mpo = Assert.IsType<CombinedLoss>(DpoLosses.Create(["sigmoid", "bco_pair", "sft"], [0.8, 0.2, 1.0], 0.1));
        Assert.Equal(CombinedRewards.FirstTerm, mpo.Rewards);
        Assert.Equal(CombinedRewards.WeightedSum, Assert.IsType<CombinedLoss>(DpoLosses.CreateLegacy(["sigmoid", "sft"], null, 0.1)).Rewards);
        Assert.IsType<LegacySigmoidLoss>(DpoLosses.CreateLegacy("sigmoid", 0.1, labelSmoothing: 0.1));
        Assert.IsType<LegacyIpoLoss>(DpoLosses.CreateLegacy("ipo", 0.1));
        Assert.IsType<LegacyBcoPairLoss>(DpoLosses.CreateLegacy("bco_pair", 0.1));
        Assert.Equal(1e-3, Assert.IsType<LegacyExoPairLoss>(DpoLosses.CreateLegacy("exo_pair", 0.1)).Epsilon);
        Assert.Equal(15, DpoLosses.Names.Count);
        Assert.Equal(DpoFixture.Strings(DpoFixture.Root.GetProperty("meta").GetProperty("loss_types_current")), DpoLosses.Names);
        Assert.Equal(
            DpoFixture.Strings(DpoFixture.Root.GetProperty("meta").GetProperty("loss_types_legacy")).Order(),
            DpoLosses.LegacyNames.Order());
    }

    private static void AssertGradientsFlow(ILossFunction loss, string name)
    {
        using var batch = FixtureBatch.From(DpoFixture.Root.GetProperty("batches").GetProperty("realistic_a"), requiresGrad: true);
        using var scope = NewDisposeScope();
        // The sft term reads the token NLL, which a real model derives from the policy; here from the summed log-probs.
        Tensor nll = batch.PolicyChosen.sum().neg() / batch.Inputs.ChosenLengths!.sum();
        PreferenceLossInputs inputs = WithNll(batch.Inputs, nll);

        PreferenceLossOutput output = loss.Compute(inputs);
        output.Losses.mean().backward();

        Assert.False(output.ChosenRewards.requires_grad);
        Assert.False(output.RejectedRewards.requires_grad);
        Tensor chosenGrad = batch.PolicyChosen.grad ?? throw new Xunit.Sdk.XunitException($"{name}: no gradient reached the chosen log-probs.");
        Assert.True(chosenGrad.isfinite().all().item<bool>(), $"{name}: non-finite chosen gradient.");
        Assert.True(chosenGrad.ne(0).any().item<bool>(), $"{name}: zero chosen gradient.");
        if (name != DpoLossNames.Sft)
        {
            Tensor rejectedGrad = batch.PolicyRejected.grad ?? throw new Xunit.Sdk.XunitException($"{name}: no gradient reached the rejected log-probs.");
            Assert.True(rejectedGrad.isfinite().all().item<bool>(), $"{name}: non-finite rejected gradient.");
            Assert.True(rejectedGrad.ne(0).any().item<bool>(), $"{name}: zero rejected gradient.");
        }
    }

    private static PreferenceLossInputs WithNll(PreferenceLossInputs inputs, Tensor nll) => new()
    {
        PolicyChosenLogps = inputs.PolicyChosenLogps,
        PolicyRejectedLogps = inputs.PolicyRejectedLogps,
        ReferenceChosenLogps = inputs.ReferenceChosenLogps,
        ReferenceRejectedLogps = inputs.ReferenceRejectedLogps,
        ChosenLengths = inputs.ChosenLengths,
        RejectedLengths = inputs.RejectedLengths,
        ChosenTokenNllMean = nll,
    };

    /// <summary>The example of <see cref="PreferenceLoss"/>'s documentation: a squared hinge on the DPO margin.</summary>
    private sealed class SquaredHingeLoss(double beta) : PreferenceLoss(beta)
    {
        public override string Name => "squared_hinge";

        protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
        {
            var (chosen, rejected) = LogRatios(inputs);
            return (1 - Beta * (chosen - rejected)).relu().square();
        }
    }
}
