namespace Zephyr.Alignment.Models;

/// <summary>How <see cref="PretrainedModel.Save"/> writes a checkpoint folder.</summary>
public sealed class ModelSaveOptions
{
    /// <summary>The default shard size: 5 GB (decimal), as <c>transformers</c> uses.</summary>
    public const long DefaultMaxShardSizeBytes = 5_000_000_000;

    /// <summary>
    /// Largest shard, in bytes. When the weights are larger they are split into
    /// <c>model-00001-of-0000N.safetensors</c> files plus <c>model.safetensors.index.json</c>; a single tensor larger than
    /// this gets a shard of its own. Default: <see cref="DefaultMaxShardSizeBytes"/>.
    /// </summary>
    public long MaxShardSizeBytes { get; set; } = DefaultMaxShardSizeBytes;
}
