using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Builds the additive attention mask <c>[B, 1, T, S]</c>: 0 where a query may attend, the dtype's most negative finite
/// value elsewhere (not -inf, so a query row that is all padding gives finite values instead of NaN, as transformers does).
/// When the mask would be plain causal it builds none, and attention runs with <c>is_causal</c> instead (transformers'
/// <c>_ignore_causal_mask_sdpa</c> makes the same choice): no dense <c>[B, 1, T, S]</c> tensor, and the kernel skips the
/// masked half.
/// </summary>
internal static class AttentionMask
{
    /// <param name="visibilityMask">
    /// Null (everything visible), a padding mask <c>[B, S]</c> (1 for real tokens, 0 for padding) over cached + new
    /// positions, or a query × key visibility mask <c>[B, T, S]</c> (nonzero where query t may see key s), such as the
    /// block-diagonal mask of packed sequences. Causality and the sliding window are applied on top of either.
    /// </param>
    /// <param name="batchSize">B.</param>
    /// <param name="queryLength">T, the number of new positions.</param>
    /// <param name="pastLength">Positions already cached; query t sits at index <c>pastLength + t</c> of the row.</param>
    /// <param name="slidingWindow">Mistral's W: query i sees key j iff <c>i - W &lt; j &lt;= i</c>; null for full causal attention.</param>
    /// <param name="dtype">The activation dtype (the mask is added to scores of that type).</param>
    /// <param name="device">The activation device.</param>
    /// <returns>The additive mask, or <see langword="null"/> for plain causal attention (see <see cref="IsPlainCausal"/>).</returns>
    public static Tensor? Build(Tensor? visibilityMask, long batchSize, long queryLength, long pastLength, int? slidingWindow, ScalarType dtype, Device device)
    {
        if (IsPlainCausal(visibilityMask, queryLength, pastLength, slidingWindow))
        {
            return null;
        }

        using var scope = NewDisposeScope();
        long keyLength = pastLength + queryLength;

        // Indices within the padded row, not position ids: for the real tokens of a left-padded row both agree, and in a
        // packed row the index difference of two tokens of one example equals their position difference, so the window
        // means the same as for the example alone.
        Tensor queryIndex = arange(pastLength, keyLength, ScalarType.Int64, device).unsqueeze(1); // [T, 1]
        Tensor keyIndex = arange(0, keyLength, ScalarType.Int64, device).unsqueeze(0); // [1, S]
        Tensor allowed = keyIndex <= queryIndex; // [T, S]
        if (slidingWindow is { } window)
        {
            allowed = allowed.logical_and(keyIndex > queryIndex - window);
        }

        Tensor allowedPerRow = allowed.unsqueeze(0).expand(batchSize, queryLength, keyLength); // [B, T, S]
        if (visibilityMask is not null)
        {
            Tensor visible = visibilityMask.to(device).ne(0);
            allowedPerRow = allowedPerRow.logical_and(visibilityMask.dim() == 3
                ? visible // [B, T, S]: per query, e.g. block-diagonal for packed examples
                : visible.unsqueeze(1)); // [B, 1, S]: the same real keys for every query
        }

        Tensor additive = zeros([batchSize, 1, queryLength, keyLength], dtype, device)
            .masked_fill(allowedPerRow.logical_not().unsqueeze(1), finfo(dtype).min); // [B, 1, T, S]
        return additive.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// True when query t may see exactly keys 0..t: nothing cached (<c>is_causal</c> aligns the square's top-left corner),
    /// a window no shorter than the sequence, and no mask or a padding mask of all ones. Packed (query × key) masks always
    /// need the explicit mask.
    /// </summary>
    internal static bool IsPlainCausal(Tensor? visibilityMask, long queryLength, long pastLength, int? slidingWindow)
    {
        if (pastLength != 0 || (slidingWindow is { } window && window < queryLength))
        {
            return false;
        }

        if (visibilityMask is null)
        {
            return true;
        }

        using var scope = NewDisposeScope();
        return visibilityMask.dim() == 2 && visibilityMask.ne(0).all().item<bool>();
    }
}
