using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Binary classifier optimisation on pairs (Jung et al. 2024, "Binary Classifier Optimization for Large Language
/// Model Alignment", arXiv 2404.04656): each answer is classified on its own, ℓ = −log σ(β·s_c) − log σ(−β·s_r).
/// TRL's <c>loss_type="bco_pair"</c>.
/// </summary>
/// <remarks>
/// Current TRL has no reward shift δ; TRL ≤ 0.28 subtracted a running mean of the rewards and kept it as state:
/// <see cref="Legacy.LegacyBcoPairLoss"/>.
/// </remarks>
/// <param name="beta">β; finite and &gt; 0.</param>
/// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
public sealed class BcoPairLoss(double beta, IDivergenceScore? divergence = null) : ScoredPreferenceLoss(beta, divergence)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.BcoPair;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = Scores(inputs);
        return LogSigmoid(Beta * chosen).neg() - LogSigmoid((Beta * rejected).neg());
    }
}
