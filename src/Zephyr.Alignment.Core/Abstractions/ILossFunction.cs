namespace Zephyr.Alignment;

/// <summary>
/// A preference-optimisation loss (sigmoid DPO, IPO, hinge, ...): per-example losses and implicit rewards
/// from the summed log-probabilities of the policy and the reference model.
/// </summary>
/// <remarks>
/// A loss is a small strategy class holding its own hyperparameters (β and any loss-specific one). It must not
/// keep tensors between calls unless its algorithm needs running state, which it then documents.
/// </remarks>
public interface ILossFunction
{
    /// <summary>The loss type's name as TRL spells it (e.g. <c>sigmoid</c>, <c>ipo</c>).</summary>
    string Name { get; }

    /// <summary>Computes the loss for a batch.</summary>
    /// <param name="inputs">The batch's sequence log-probabilities and completion lengths.</param>
    /// <returns>Per-example losses and rewards; the caller disposes it.</returns>
    PreferenceLossOutput Compute(PreferenceLossInputs inputs);
}
