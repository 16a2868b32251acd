namespace Zephyr.Alignment.Models;

/// <summary>
/// Keys and values of every layer from earlier forward passes, so generation only runs the new tokens.
/// Pass the same instance to successive <see cref="CausalLanguageModel.Forward(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor?, TorchSharp.torch.Tensor?, KeyValueCache?, long)"/>
/// calls; the attention mask given to each call covers the cached positions plus the new ones.
/// </summary>
public sealed class KeyValueCache : IDisposable
{
    private readonly LayerKeyValueCache[] layers;

    /// <summary>Creates an empty cache for a model with <paramref name="layerCount"/> decoder layers.</summary>
    public KeyValueCache(int layerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        layers = new LayerKeyValueCache[layerCount];
        for (int i = 0; i < layerCount; i++)
        {
            layers[i] = new LayerKeyValueCache();
        }
    }

    /// <summary>Number of decoder layers the cache covers.</summary>
    public int LayerCount => layers.Length;

    /// <summary>Number of positions already cached (the same in every layer).</summary>
    public long Length => layers[0].Length;

    /// <summary>The cache of decoder layer <paramref name="index"/>.</summary>
    public LayerKeyValueCache this[int index] => layers[index];

    /// <summary>Releases every cached tensor.</summary>
    public void Dispose()
    {
        foreach (LayerKeyValueCache layer in layers)
        {
            layer.Dispose();
        }
    }
}
