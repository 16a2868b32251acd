using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Dpo.Reference;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo;

/// <summary>
/// Decides, per model and batch, whether prefix-shared rows are exact (<see cref="DpoOptions.PrefixSharing"/>), and says
/// with a Warning, once per model and cause, when a model computes the unshared rows instead.
/// </summary>
internal sealed class PrefixSharingGate(ILogger logger)
{
    private readonly HashSet<string> warned = new(StringComparer.Ordinal);

    /// <summary>Whether the policy computes packed rows of <paramref name="packedLength"/> tokens exactly.</summary>
    public bool CanShare(IPolicyModel policy, long packedLength)
        => CanShare("policy", policy.GetType().Name, policy.GetService(typeof(IAttentionLayout)) as IAttentionLayout, packedLength);

    /// <summary>
    /// The live reference's summed completion log-probs <c>[2B]</c>: from the packed rows when <paramref name="shared"/> is
    /// given and the reference scores them exactly, otherwise from the unshared rows.
    /// </summary>
    public Tensor ReferenceSequenceLogProbs(
        IReferenceModel live, Tensor inputIds, Tensor attentionMask, Tensor completionMask, PrefixSharedPairs? shared, Device resultDevice)
    {
        if (shared is not null)
        {
            if (live is not IPrefixSharingReference sharing)
            {
                WarnOnce("reference", "for every batch", $"{live.GetType().Name} does not implement IPrefixSharingReference");
            }
            else if (CanShare("reference", live.GetType().Name, sharing.AttentionLayout, shared.PackedLength))
            {
                return sharing.SequenceLogProbs(shared, resultDevice);
            }
        }

        return live.SequenceLogProbs(inputIds, attentionMask, completionMask, resultDevice);
    }

    /// <summary>Whether a model with <paramref name="layout"/> computes packed rows of <paramref name="packedLength"/> tokens exactly; a Warning once per cause when not.</summary>
    private bool CanShare(string role, string model, IAttentionLayout? layout, long packedLength)
    {
        if (layout is null)
        {
            WarnOnce(role, "for every batch", $"{model} does not report its attention layout (IAttentionLayout), so a packed row with a visibility mask cannot be known to be exact");
            return false;
        }

        if (!layout.SupportsVisibilityMask)
        {
            WarnOnce(role, "for every batch", $"{model} cannot take a [B, T, S] visibility mask");
            return false;
        }

        if (layout.SmallestSlidingWindow is { } window && window < packedLength)
        {
            WarnOnce(role, "for each batch whose packed row is longer than its sliding window",
                $"{model}'s sliding window of {window} tokens is shorter than a packed row ({packedLength} tokens in the first such batch); the window counts index distance, which the packed row stretches for rejected tokens");
            return false;
        }

        return true;
    }

    private void WarnOnce(string role, string when, string reason)
    {
        if (warned.Add(role + "\n" + when))
        {
            DpoLog.PrefixSharingFallback(logger, role, when, reason);
        }
    }
}
