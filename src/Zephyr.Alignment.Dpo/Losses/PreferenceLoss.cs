using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Base class of the DPO loss family: checks the batch, runs the loss inside a dispose scope and adds the implicit
/// rewards β·(log π − log π_ref), so that a new loss only writes its per-pair formula.
/// </summary>
/// <remarks>
/// Everything is computed in the dtype of the inputs (float64 and float32 both work); only the returned tensors
/// outlive the call. The rewards are detached and, as in TRL, always use the summed reverse-KL log-ratios,
/// whatever the loss or its <see cref="IDivergenceScore"/>.
/// </remarks>
/// <example>
/// A new loss is one file:
/// <code>
/// public sealed class SquaredHingeLoss(double beta) : PreferenceLoss(beta)
/// {
///     public override string Name => "squared_hinge";
///
///     protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
///     {
///         var (chosen, rejected) = LogRatios(inputs);
///         return (1 - Beta * (chosen - rejected)).relu().square();
///     }
/// }
/// </code>
/// </example>
public abstract class PreferenceLoss : ILossFunction
{
    /// <summary>Creates the loss with its temperature β.</summary>
    /// <param name="beta">β, the strength of the implicit KL penalty towards the reference; finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beta"/> is not finite and positive.</exception>
    protected PreferenceLoss(double beta)
    {
        if (!double.IsFinite(beta) || beta <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"beta must be a finite number > 0, got {beta}.");
        }

        Beta = beta;
    }

    /// <summary>β, the temperature of the implicit reward β·(log π − log π_ref) (TRL's <c>beta</c>; the Zephyr recipe uses 0.01).</summary>
    public double Beta { get; }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> or one of its log-prob tensors is null.</exception>
    /// <exception cref="ArgumentException">The tensors are not 1-D floating-point tensors of one length and dtype, or an input the loss needs is missing.</exception>
    public PreferenceLossOutput Compute(PreferenceLossInputs inputs)
    {
        LossInputChecks.Validate(inputs);
        using var scope = NewDisposeScope();
        Tensor losses = ComputeLosses(inputs);
        var (chosenRewards, rejectedRewards) = ComputeRewards(inputs);
        return new PreferenceLossOutput(
            losses.MoveToOuterDisposeScope(),
            chosenRewards.MoveToOuterDisposeScope(),
            rejectedRewards.MoveToOuterDisposeScope());
    }

    /// <summary>The per-pair losses <c>[B]</c>, differentiable with respect to the policy log-probs.</summary>
    /// <param name="inputs">The validated batch.</param>
    /// <returns>A new tensor; intermediates may be left to the enclosing dispose scope.</returns>
    protected abstract Tensor ComputeLosses(PreferenceLossInputs inputs);

    /// <summary>The detached rewards β·(log π − log π_ref) of the chosen and rejected answers, each <c>[B]</c>.</summary>
    /// <param name="inputs">The validated batch.</param>
    /// <returns>New, detached tensors.</returns>
    protected virtual (Tensor Chosen, Tensor Rejected) ComputeRewards(PreferenceLossInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        using var noGrad = torch.no_grad();
        var (chosen, rejected) = LogRatios(inputs);
        return ((Beta * chosen).detach(), (Beta * rejected).detach());
    }

    /// <summary>The log-ratios x = log π − log π_ref of the chosen and rejected answers, each <c>[B]</c>.</summary>
    /// <param name="inputs">The batch.</param>
    /// <returns>New tensors, differentiable through the policy log-probs.</returns>
    protected static (Tensor Chosen, Tensor Rejected) LogRatios(PreferenceLossInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return (inputs.PolicyChosenLogps - inputs.ReferenceChosenLogps, inputs.PolicyRejectedLogps - inputs.ReferenceRejectedLogps);
    }

    /// <summary>
    /// The completion lengths in the log-probs' dtype, clamped to at least 1 as TRL does
    /// (<c>completion_mask.sum(1).clamp(min=1)</c>), each <c>[B]</c>.
    /// </summary>
    /// <param name="inputs">The batch.</param>
    /// <returns>New tensors.</returns>
    /// <exception cref="ArgumentException"><see cref="PreferenceLossInputs.ChosenLengths"/> or <see cref="PreferenceLossInputs.RejectedLengths"/> is missing.</exception>
    protected (Tensor Chosen, Tensor Rejected) ClampedLengths(PreferenceLossInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var (chosen, rejected) = LossInputChecks.RequireLengths(inputs, Name);
        ScalarType dtype = inputs.PolicyChosenLogps.dtype;
        return (chosen.to_type(dtype).clamp_min(1), rejected.to_type(dtype).clamp_min(1));
    }

    /// <summary>The numerically stable log σ(z) = min(z, 0) − log1p(exp(−|z|)).</summary>
    /// <param name="z">Any floating-point tensor.</param>
    /// <returns>A new tensor of the same shape and dtype.</returns>
    protected static Tensor LogSigmoid(Tensor z) => nn.functional.logsigmoid(z);
}
