using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// A loss that compares f-divergence scores of the log-ratios instead of the log-ratios themselves, as TRL's
/// <c>f_divergence_type</c> does for every loss except aot, aot_unpaired, apo_zero and sft.
/// </summary>
public abstract class ScoredPreferenceLoss : PreferenceLoss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="divergence">The score strategy; <see langword="null"/> means <see cref="ReverseKlScore"/> (standard DPO).</param>
    protected ScoredPreferenceLoss(double beta, IDivergenceScore? divergence)
        : base(beta)
    {
        Divergence = divergence ?? ReverseKlScore.Instance;
    }

    /// <summary>The f-divergence whose scores the loss compares (default reverse KL, i.e. the log-ratios).</summary>
    public IDivergenceScore Divergence { get; }

    /// <summary>The scores s_c, s_r of the chosen and rejected log-ratios, each <c>[B]</c>.</summary>
    /// <param name="inputs">The batch.</param>
    /// <returns>New tensors, differentiable through the policy log-probs.</returns>
    protected (Tensor Chosen, Tensor Rejected) Scores(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = LogRatios(inputs);
        return (Divergence.Score(chosen), Divergence.Score(rejected));
    }

    /// <summary>The score margin Δ = s_c − s_r, <c>[B]</c>.</summary>
    /// <param name="inputs">The batch.</param>
    /// <returns>A new tensor.</returns>
    protected Tensor ScoreMargin(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = Scores(inputs);
        return chosen - rejected;
    }

    /// <summary>
    /// The length-normalised score margin s_c/L_c − s_r/L_r, <c>[B]</c>, with L the completion lengths clamped to at
    /// least 1 (<see cref="PreferenceLoss.ClampedLengths"/>), shared by <see cref="IpoLoss"/> and <see cref="SigmoidNormLoss"/>.
    /// </summary>
    /// <param name="inputs">The batch, with completion lengths.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">The completion lengths are missing.</exception>
    private protected Tensor LengthNormalisedScoreMargin(PreferenceLossInputs inputs)
    {
        // Lengths first: a batch without them fails before any score is computed.
        var (chosenLengths, rejectedLengths) = ClampedLengths(inputs);
        var (chosen, rejected) = Scores(inputs);
        return chosen / chosenLengths - rejected / rejectedLengths;
    }
}
