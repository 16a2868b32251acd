using static TorchSharp.torch;

namespace Zephyr.Alignment;

/// <summary>The result of <see cref="ILossFunction.Compute"/>; disposing it releases its tensors.</summary>
/// <param name="Losses">Per-example losses <c>[B]</c>; the batch loss is their mean.</param>
/// <param name="ChosenRewards">Detached β·(log π − log π_ref) of the chosen answers <c>[B]</c>.</param>
/// <param name="RejectedRewards">Detached β·(log π − log π_ref) of the rejected answers <c>[B]</c>.</param>
public sealed record PreferenceLossOutput(Tensor Losses, Tensor ChosenRewards, Tensor RejectedRewards) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Losses.Dispose();
        ChosenRewards.Dispose();
        RejectedRewards.Dispose();
    }
}
