using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// The keys and values one attention layer has already computed, <c>[B, kv_heads, S, head_dim]</c> each, after the rotary
/// embedding and before <c>repeat_kv</c>. The cache owns these tensors; they live outside any dispose scope.
/// </summary>
public sealed class LayerKeyValueCache : IDisposable
{
    private Tensor? keys;
    private Tensor? values;

    /// <summary>Number of cached positions (the <c>S</c> dimension); 0 when empty.</summary>
    public long Length => keys?.shape[2] ?? 0;

    /// <summary>The cached keys <c>[B, kv_heads, S, head_dim]</c>, or <see langword="null"/> when empty.</summary>
    public Tensor? Keys => keys;

    /// <summary>The cached values <c>[B, kv_heads, S, head_dim]</c>, or <see langword="null"/> when empty.</summary>
    public Tensor? Values => values;

    /// <summary>
    /// Appends this step's keys and values <c>[B, kv_heads, T, head_dim]</c> and returns everything cached so far
    /// <c>[B, kv_heads, S + T, head_dim]</c>. The returned tensors belong to the cache: do not dispose them.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(Tensor newKeys, Tensor newValues)
    {
        ArgumentNullException.ThrowIfNull(newKeys);
        ArgumentNullException.ThrowIfNull(newValues);
        Tensor combinedKeys = keys is null ? newKeys.alias() : cat([keys, newKeys], 2);
        Tensor combinedValues = values is null ? newValues.alias() : cat([values, newValues], 2);
        keys?.Dispose();
        values?.Dispose();
        keys = combinedKeys.DetachFromDisposeScope();
        values = combinedValues.DetachFromDisposeScope();
        return (keys, values);
    }

    /// <summary>Releases the cached tensors.</summary>
    public void Dispose()
    {
        keys?.Dispose();
        values?.Dispose();
        keys = null;
        values = null;
    }
}
