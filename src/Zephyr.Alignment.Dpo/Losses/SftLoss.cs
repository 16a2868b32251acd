using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// The supervised (negative log-likelihood) term on the chosen answers: every pair gets the batch's mean NLL per
/// chosen completion token, <see cref="PreferenceLossInputs.ChosenTokenNllMean"/>. Combined with
/// <see cref="SigmoidLoss"/> it is RPO (Pang et al. 2024, "Iterative Reasoning Preference Optimization",
/// arXiv 2404.19733: ℓ_DPO + α·ℓ_NLL); with sigmoid and bco_pair it is MPO (Wang et al. 2024, arXiv 2411.10442).
/// TRL's <c>loss_type="sft"</c>.
/// </summary>
/// <remarks>β only scales the reported rewards; the loss itself has no β.</remarks>
/// <param name="beta">β for the rewards; finite and &gt; 0.</param>
public sealed class SftLoss(double beta) : PreferenceLoss(beta)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.Sft;

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        Tensor nll = LossInputChecks.RequireChosenTokenNllMean(inputs, Name);
        // A copy, not an expanded view: callers may write into the losses, which an expanded view forbids.
        return nll.to_type(inputs.PolicyChosenLogps.dtype).reshape(1).expand(inputs.PolicyChosenLogps.shape[0]).contiguous();
    }
}
