namespace Zephyr.Alignment;

/// <summary>
/// An optional capability of an <see cref="IPolicyModel"/>, reached through <see cref="IPolicyModel.GetService"/>: what
/// its attention does with a row, so a caller that rearranges rows (DPO's prefix sharing packs a pair's prompt, chosen and
/// rejected completions into one row) can tell whether the result is exact.
/// </summary>
public interface IAttentionLayout
{
    /// <summary>
    /// Whether <see cref="IPolicyModel.Forward(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor?, TorchSharp.torch.Tensor?)"/>
    /// honours a query × key visibility mask <c>[B, T, S]</c> together with position ids, so that a token sees exactly the
    /// tokens the mask allows at the positions given.
    /// </summary>
    bool SupportsVisibilityMask { get; }

    /// <summary>
    /// The shortest sliding attention window of any layer (Mistral's <c>sliding_window</c>), counted in token indices within
    /// the row, not in position ids; <see langword="null"/> when every layer attends to the whole causal prefix.
    /// </summary>
    int? SmallestSlidingWindow { get; }
}
