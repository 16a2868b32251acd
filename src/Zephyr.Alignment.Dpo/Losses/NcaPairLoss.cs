using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Noise-contrastive alignment, pairwise (Chen et al. 2024, "Noise Contrastive Alignment of Language Models with
/// Explicit Rewards", arXiv 2402.05369, the NCA loss for K = 2): with r = β·s,
/// ℓ = −log σ(r_c) − ½·log σ(−r_c) − ½·log σ(−r_r). TRL's <c>loss_type="nca_pair"</c>.
/// </summary>
/// <param name="beta">β; finite and &gt; 0.</param>
/// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
public sealed class NcaPairLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.NcaPair;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = Scores(inputs);
        Tensor chosenReward = Beta * chosen;
        Tensor rejectedReward = Beta * rejected;
        return LogSigmoid(chosenReward).neg() - 0.5 * LogSigmoid(chosenReward.neg()) - 0.5 * LogSigmoid(rejectedReward.neg());
    }
}
