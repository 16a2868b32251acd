using static TorchSharp.torch;

namespace Zephyr.Alignment;

/// <summary>
/// What a preference loss sees for a batch of B pairs. Every tensor is <c>[B]</c> and lives on the policy's
/// device; log-probabilities are summed over completion tokens only.
/// </summary>
public sealed class PreferenceLossInputs
{
    /// <summary>log π(chosen | prompt), differentiable.</summary>
    public required Tensor PolicyChosenLogps { get; init; }

    /// <summary>log π(rejected | prompt), differentiable.</summary>
    public required Tensor PolicyRejectedLogps { get; init; }

    /// <summary>log π_ref(chosen | prompt), constant.</summary>
    public required Tensor ReferenceChosenLogps { get; init; }

    /// <summary>log π_ref(rejected | prompt), constant.</summary>
    public required Tensor ReferenceRejectedLogps { get; init; }

    /// <summary>Number of completion tokens of each chosen answer (for length-normalised losses).</summary>
    public Tensor? ChosenLengths { get; init; }

    /// <summary>Number of completion tokens of each rejected answer.</summary>
    public Tensor? RejectedLengths { get; init; }

    /// <summary>Mean negative log-likelihood per chosen completion token over the batch (a scalar), for the <c>sft</c> loss.</summary>
    public Tensor? ChosenTokenNllMean { get; init; }
}
