using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Self-play preference optimisation with hard probabilities (Wu et al. 2024, "Self-Play Preference Optimization
/// for Language Model Alignment", arXiv 2405.00675, Eq. 4.7 of Algorithm 1 with P = 1 for the winner and 0 for the
/// loser): ℓ = (s_c − 1/(2β))² + (s_r + 1/(2β))². TRL's <c>loss_type="sppo_hard"</c>.
/// </summary>
/// <param name="beta">β; finite and &gt; 0.</param>
/// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
public sealed class SppoHardLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.SppoHard;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = Scores(inputs);
        double target = 0.5 / Beta;
        return (chosen - target).square() + (rejected + target).square();
    }
}
