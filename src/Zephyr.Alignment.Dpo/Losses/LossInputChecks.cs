using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>Guards shared by every loss, so a malformed batch fails with a message instead of inside a tensor op.</summary>
internal static class LossInputChecks
{
    public static void Validate(PreferenceLossInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Tensor policyChosen = Require(inputs.PolicyChosenLogps, nameof(inputs.PolicyChosenLogps));
        if (policyChosen.dim() != 1 || policyChosen.shape[0] == 0)
        {
            throw new ArgumentException(
                $"{nameof(inputs.PolicyChosenLogps)} must be a non-empty [B] tensor, got shape [{string.Join(", ", policyChosen.shape)}].",
                nameof(inputs));
        }

        if (!policyChosen.is_floating_point())
        {
            throw new ArgumentException($"{nameof(inputs.PolicyChosenLogps)} must be a floating-point tensor, got {policyChosen.dtype}.", nameof(inputs));
        }

        SameShapeAndDtype(policyChosen, Require(inputs.PolicyRejectedLogps, nameof(inputs.PolicyRejectedLogps)), nameof(inputs.PolicyRejectedLogps));
        SameShapeAndDtype(policyChosen, Require(inputs.ReferenceChosenLogps, nameof(inputs.ReferenceChosenLogps)), nameof(inputs.ReferenceChosenLogps));
        SameShapeAndDtype(policyChosen, Require(inputs.ReferenceRejectedLogps, nameof(inputs.ReferenceRejectedLogps)), nameof(inputs.ReferenceRejectedLogps));
        // Lengths may be integer tensors (completion_mask.sum(1) is long), so only their shape must match.
        SameShape(policyChosen, inputs.ChosenLengths, nameof(inputs.ChosenLengths));
        SameShape(policyChosen, inputs.RejectedLengths, nameof(inputs.RejectedLengths));
        if (inputs.ChosenTokenNllMean is { } nll && nll.numel() != 1)
        {
            throw new ArgumentException(
                $"{nameof(inputs.ChosenTokenNllMean)} must be a scalar (the batch's mean token NLL), got shape [{string.Join(", ", nll.shape)}].",
                nameof(inputs));
        }
    }

    public static (Tensor Chosen, Tensor Rejected) RequireLengths(PreferenceLossInputs inputs, string lossName)
    {
        if (inputs.ChosenLengths is null || inputs.RejectedLengths is null)
        {
            throw new ArgumentException(
                $"The '{lossName}' loss normalises by completion length and needs {nameof(inputs.ChosenLengths)} and {nameof(inputs.RejectedLengths)}.",
                nameof(inputs));
        }

        return (inputs.ChosenLengths, inputs.RejectedLengths);
    }

    public static Tensor RequireChosenTokenNllMean(PreferenceLossInputs inputs, string lossName) =>
        inputs.ChosenTokenNllMean ?? throw new ArgumentException(
            $"The '{lossName}' loss needs {nameof(inputs.ChosenTokenNllMean)}, the mean NLL over the batch's chosen completion tokens.",
            nameof(inputs));

    private static Tensor Require(Tensor? tensor, string name) =>
        tensor ?? throw new ArgumentNullException(name, $"{name} is required.");

    private static void SameShapeAndDtype(Tensor expected, Tensor actual, string name)
    {
        SameShape(expected, actual, name);
        if (actual.dtype != expected.dtype)
        {
            throw new ArgumentException($"{name} has dtype {actual.dtype}, but PolicyChosenLogps has {expected.dtype}.", name);
        }
    }

    private static void SameShape(Tensor expected, Tensor? actual, string name)
    {
        if (actual is not null && !actual.shape.SequenceEqual(expected.shape))
        {
            throw new ArgumentException(
                $"{name} has shape [{string.Join(", ", actual.shape)}], but PolicyChosenLogps has [{string.Join(", ", expected.shape)}].",
                name);
        }
    }
}
