using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses.Legacy;

/// <summary>
/// <b>Legacy (TRL ≤ 0.28).</b> IPO (Azar et al. 2023, arXiv 2310.12036, Eq. 17) on per-token log-probs: the caller
/// of those releases divided the policy and reference log-probs by the completion lengths before the loss, so
/// ℓ = (Δ̄ − 1/(2β))² with Δ̄ the margin of the per-token log-probs, and the rewards are per-token too,
/// β·(π/L − r/L). The current <see cref="IpoLoss"/> gives the same losses but summed rewards.
/// </summary>
/// <remarks>
/// Needs the completion lengths. Lengths are clamped to at least 1 (TRL ≤ 0.28 divided by zero for an empty
/// completion). Those releases also reported <c>logps/*</c> per token: log metrics from <see cref="ToPerToken"/>.
/// </remarks>
/// <param name="beta">β (IPO's τ); finite and &gt; 0.</param>
public sealed class LegacyIpoLoss(double beta) : PreferenceLoss(beta)
{
    /// <inheritdoc />
    public override string Name => DpoLossNames.Ipo;

    /// <summary>
    /// The batch with every log-prob divided by its completion length (TRL ≤ 0.28's <c>concatenated_forward</c> for
    /// IPO), for the loss and for the per-token <c>logps/*</c> metrics of those releases.
    /// </summary>
    /// <param name="inputs">A batch with <see cref="PreferenceLossInputs.ChosenLengths"/> and <see cref="PreferenceLossInputs.RejectedLengths"/>.</param>
    /// <returns>New inputs whose four log-prob tensors are new (the caller disposes them); lengths are shared.</returns>
    /// <exception cref="ArgumentException">The lengths are missing or the batch is malformed.</exception>
    public static PreferenceLossInputs ToPerToken(PreferenceLossInputs inputs)
    {
        LossInputChecks.Validate(inputs);
        var (chosenLengths, rejectedLengths) = LossInputChecks.RequireLengths(inputs, DpoLossNames.Ipo);
        using var scope = NewDisposeScope();
        ScalarType dtype = inputs.PolicyChosenLogps.dtype;
        Tensor chosen = chosenLengths.to_type(dtype).clamp_min(1);
        Tensor rejected = rejectedLengths.to_type(dtype).clamp_min(1);
        return new PreferenceLossInputs
        {
            PolicyChosenLogps = (inputs.PolicyChosenLogps / chosen).MoveToOuterDisposeScope(),
            PolicyRejectedLogps = (inputs.PolicyRejectedLogps / rejected).MoveToOuterDisposeScope(),
            ReferenceChosenLogps = (inputs.ReferenceChosenLogps / chosen).MoveToOuterDisposeScope(),
            ReferenceRejectedLogps = (inputs.ReferenceRejectedLogps / rejected).MoveToOuterDisposeScope(),
            ChosenLengths = inputs.ChosenLengths,
            RejectedLengths = inputs.RejectedLengths,
            ChosenTokenNllMean = inputs.ChosenTokenNllMean,
        };
    }

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        PreferenceLossInputs perToken = ToPerToken(inputs);
        return (LegacyMargins.Margin(perToken) - 1.0 / (2.0 * Beta)).square();
    }

    /// <inheritdoc />
    protected override (Tensor Chosen, Tensor Rejected) ComputeRewards(PreferenceLossInputs inputs)
    {
        using var noGrad = torch.no_grad();
        PreferenceLossInputs perToken = ToPerToken(inputs);
        return base.ComputeRewards(perToken);
    }
}
