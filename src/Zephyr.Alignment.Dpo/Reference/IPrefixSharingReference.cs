using Zephyr.Alignment.Dpo.Data;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Reference;

/// <summary>
/// A live reference that can score prefix-shared rows (<see cref="DpoOptions.PrefixSharing"/>): each pair's prompt is
/// computed once, as the policy's is. <see cref="ReferenceModel"/> and <see cref="AdapterDisabledReference"/> implement it;
/// another <see cref="IReferenceModel"/> gets the unshared rows, and the objective says so with a Warning.
/// </summary>
public interface IPrefixSharingReference : IReferenceModel
{
    /// <summary>The attention layout of the model the reference runs, or <see langword="null"/> when it does not report one.</summary>
    IAttentionLayout? AttentionLayout { get; }

    /// <summary>Summed log-probabilities under π_ref of the completions of packed pairs, without gradients.</summary>
    /// <param name="pairs">The packed pairs.</param>
    /// <param name="resultDevice">Where the result goes (the policy's device, for the loss).</param>
    /// <returns>Sequence log-probs <c>[2B]</c>: the B chosen, then the B rejected, as <see cref="IReferenceModel.SequenceLogProbs"/> orders rows; detached. The caller owns it.</returns>
    Tensor SequenceLogProbs(PrefixSharedPairs pairs, Device resultDevice);
}
