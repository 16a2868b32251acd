using static TorchSharp.torch;

namespace Zephyr.Alignment.CustomLossSample;

/// <summary>
/// A preference loss of our own, written only against the library's public <see cref="ILossFunction"/>: the DPO sigmoid
/// loss with a target margin γ, ℓ = −log σ(β·Δ − γ), where Δ = [log π(y⁺) − log π_ref(y⁺)] − [log π(y⁻) − log π_ref(y⁻)]
/// (Rafailov et al. 2023, Eq. 7, with the offset idea of ODPO, Amini et al. 2024). The chosen answer's implicit reward must
/// beat the rejected one's by γ before the loss flattens; γ = 0 is plain DPO.
/// </summary>
/// <param name="beta">β, the strength of the implicit KL constraint; finite and &gt; 0.</param>
/// <param name="margin">γ, the reward margin asked for; finite and ≥ 0.</param>
public sealed class MarginSigmoidLoss(double beta, double margin) : ILossFunction
{
    /// <summary>β.</summary>
    public double Beta { get; } = double.IsFinite(beta) && beta > 0 ? beta : throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be finite and > 0.");

    /// <summary>γ.</summary>
    public double Margin { get; } = double.IsFinite(margin) && margin >= 0 ? margin : throw new ArgumentOutOfRangeException(nameof(margin), margin, "γ must be finite and ≥ 0.");

    /// <inheritdoc />
    public string Name => "margin_sigmoid";

    /// <inheritdoc />
    public PreferenceLossOutput Compute(PreferenceLossInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var scope = NewDisposeScope();
        Tensor chosen = inputs.PolicyChosenLogps - inputs.ReferenceChosenLogps;       // [B]
        Tensor rejected = inputs.PolicyRejectedLogps - inputs.ReferenceRejectedLogps; // [B]
        Tensor losses = -nn.functional.logsigmoid(Beta * (chosen - rejected) - Margin);

        // The rewards are reported, never differentiated: TRL's rewards/* metrics.
        var output = new PreferenceLossOutput(losses, (Beta * chosen).detach(), (Beta * rejected).detach());
        output.Losses.MoveToOuterDisposeScope();
        output.ChosenRewards.MoveToOuterDisposeScope();
        output.RejectedRewards.MoveToOuterDisposeScope();
        return output;
    }
}
