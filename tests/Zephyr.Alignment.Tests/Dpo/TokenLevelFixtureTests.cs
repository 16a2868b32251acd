using System.Text.Json;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Metrics;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Scoring;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>The fixture's <c>token_level</c> cases: from logits to sequence log-probs, losses and reward metrics.</summary>
public sealed class TokenLevelFixtureTests
{
    private const double Relative = 1e-12;

    public static TheoryData<string> Cases => DpoFixture.Ids(DpoFixture.TokenLevelCases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Losses_from_logits_match_the_fixture(string id)
    {
        TorchRuntime.EnsureInitialized();
        JsonElement c = DpoFixture.Find(DpoFixture.TokenLevelCases, id);
        JsonElement inputs = c.GetProperty("inputs");
        JsonElement expected = c.GetProperty("outputs");
        double beta = c.GetProperty("params").GetProperty("beta").GetDouble();
        using var scope = NewDisposeScope();
        Tensor ids = DpoFixture.Nested(inputs.GetProperty("input_ids"), ScalarType.Int64);
        Tensor completionMask = DpoFixture.Nested(inputs.GetProperty("completion_mask"), ScalarType.Int64);

        using CompletionLogProbs policyLogps = TokenLogProbs.ForCompletions(DpoFixture.Nested(inputs.GetProperty("policy_logits"), ScalarType.Float64), ids, completionMask);
        using CompletionLogProbs referenceLogps = TokenLogProbs.ForCompletions(DpoFixture.Nested(inputs.GetProperty("ref_logits"), ScalarType.Float64), ids, completionMask);
        (Tensor policyTokens, Tensor policySums, Tensor shiftedCounts) = (policyLogps.PerToken, policyLogps.Sum, policyLogps.TokenCount);
        (Tensor referenceTokens, Tensor referenceSums) = (referenceLogps.PerToken, referenceLogps.Sum);

        Approx.Relative(DpoFixture.Flat(expected.GetProperty("per_token_logps")), Approx.Values(policyTokens.flatten()), Relative, "per_token_logps");
        Approx.Relative(DpoFixture.Flat(expected.GetProperty("ref_per_token_logps")), Approx.Values(referenceTokens.flatten()), Relative, "ref_per_token_logps");
        Tensor[] policy = policySums.chunk(2);
        Tensor[] reference = referenceSums.chunk(2);
        Approx.Relative(DpoFixture.Doubles(expected.GetProperty("chosen_logps")), Approx.Values(policy[0]), Relative, "chosen_logps");
        Approx.Relative(DpoFixture.Doubles(expected.GetProperty("rejected_logps")), Approx.Values(policy[1]), Relative, "rejected_logps");
        Approx.Relative(DpoFixture.Doubles(expected.GetProperty("ref_chosen_logps")), Approx.Values(reference[0]), Relative, "ref_chosen_logps");
        Approx.Relative(DpoFixture.Doubles(expected.GetProperty("ref_rejected_logps")), Approx.Values(reference[1]), Relative, "ref_rejected_logps");

        // ipo and sigmoid_norm count the unshifted completion mask; sft averages over the shifted one (TRL's quirk).
        Tensor[] lengths = completionMask.sum(1).chunk(2);
        Tensor chosenTokens = policyTokens.chunk(2)[0];
        Tensor nll = chosenTokens.sum().neg() / shiftedCounts.chunk(2)[0].sum();
        Approx.Relative([expected.GetProperty("sft_cross_entropy").GetDouble()], [nll.item<double>()], Relative, "sft cross-entropy");
        var batch = new PreferenceLossInputs
        {
            PolicyChosenLogps = policy[0],
            PolicyRejectedLogps = policy[1],
            ReferenceChosenLogps = reference[0],
            ReferenceRejectedLogps = reference[1],
            ChosenLengths = lengths[0],
            RejectedLengths = lengths[1],
            ChosenTokenNllMean = nll,
        };

        foreach (JsonProperty lossCase in expected.GetProperty("losses").EnumerateObject())
        {
            PreferenceLossOutput output = DpoLosses.Create(lossCase.Name, beta).Compute(batch);
            Approx.Relative(DpoFixture.Doubles(lossCase.Value.GetProperty("per_example_losses")), Approx.Values(output.Losses), Relative, lossCase.Name);
            Approx.Relative([lossCase.Value.GetProperty("loss").GetDouble()], [Approx.Mean(output.Losses)], Relative, lossCase.Name + " mean");
            if (lossCase.Name == DpoLossNames.Sigmoid)
            {
                CurrentLossFixtureTests.MetricsMatch(expected.GetProperty("metrics"), DpoRewardMetrics.Compute(output, batch));
            }
        }
    }

    [Fact]
    public void Logits_ids_and_mask_of_different_shapes_are_rejected()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        Tensor logits = zeros(2, 5, 7, dtype: ScalarType.Float64);
        Tensor ids = zeros(2, 5, dtype: ScalarType.Int64);

        var error = Assert.Throws<ArgumentException>(() => TokenLogProbs.ForCompletions(logits, ids, zeros(2, 4, dtype: ScalarType.Int64)));
        Assert.Contains("[2, 4]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TokenLogProbs.ForCompletions(zeros(2, 1, 7, dtype: ScalarType.Float64), zeros(2, 1, dtype: ScalarType.Int64), zeros(2, 1, dtype: ScalarType.Int64)));
    }
}
