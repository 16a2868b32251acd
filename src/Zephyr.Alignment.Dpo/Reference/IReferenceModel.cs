using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Reference;

/// <summary>
/// Where DPO's reference log-probabilities come from: π_ref's summed completion log-probs, never trained and never
/// carrying gradients. <see cref="ReferenceModel"/> is a separate frozen copy of the starting checkpoint; other
/// implementations can serve the same numbers another way (for example the policy with its LoRA adapters disabled,
/// which needs no second copy of the weights).
/// </summary>
public interface IReferenceModel : IDisposable
{
    /// <summary>The floating-point type the reference computes in (float64 references give float64 log-probs).</summary>
    ScalarType DType { get; }

    /// <summary>Size of its output vocabulary; must equal the policy's.</summary>
    int VocabularySize { get; }

    /// <summary>True once released (for example after its log-probabilities were precomputed).</summary>
    bool IsDisposed { get; }

    /// <summary>Summed log-probabilities of the completion tokens of each row under π_ref, without gradients.</summary>
    /// <param name="inputIds">Token ids <c>[R, T]</c>, int64 (for DPO: the <c>[chosen; rejected]</c> rows of a batch).</param>
    /// <param name="attentionMask">1 on real tokens, 0 on padding, <c>[R, T]</c>.</param>
    /// <param name="completionMask">1 on completion tokens, <c>[R, T]</c>.</param>
    /// <param name="resultDevice">Where the result goes (the policy's device, for the loss).</param>
    /// <returns>Sequence log-probs <c>[R]</c> on <paramref name="resultDevice"/>, detached. The caller owns it.</returns>
    Tensor SequenceLogProbs(Tensor inputIds, Tensor attentionMask, Tensor completionMask, Device resultDevice);
}
