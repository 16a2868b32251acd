using System.Text.Json;
using System.Text.Json.Nodes;

namespace Zephyr.Alignment.Models;

/// <summary>
/// The <c>model.safetensors.index.json</c> of a sharded checkpoint: which shard file holds each tensor, and the
/// total byte size of the tensors (<c>metadata.total_size</c>).
/// </summary>
public sealed class ShardIndex
{
    /// <summary>The index file name Hugging Face uses.</summary>
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Creates an index.</summary>
    /// <param name="weightMap">Tensor name → shard file name (relative to the checkpoint folder).</param>
    /// <param name="totalSize">Sum of the tensors' byte sizes.</param>
    public ShardIndex(IReadOnlyDictionary<string, string> weightMap, long totalSize)
    {
        ArgumentNullException.ThrowIfNull(weightMap);
        WeightMap = weightMap;
        TotalSize = totalSize;
    }

    /// <summary>Tensor name → shard file name (relative to the checkpoint folder).</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary>Sum of the tensors' byte sizes, from <c>metadata.total_size</c>.</summary>
    public long TotalSize { get; }

    /// <summary>The distinct shard files, in name order.</summary>
    public IReadOnlyList<string> ShardFiles => [.. WeightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The file name of shard <paramref name="number"/> (1-based) of <paramref name="count"/>, as Hugging Face names it.</summary>
    public static string ShardFileName(int number, int count) => $"model-{number:D5}-of-{count:D5}.safetensors";

    /// <summary>Reads an index file.</summary>
    /// <exception cref="CheckpointException">The file is missing, not JSON, or has no <c>weight_map</c> of strings.</exception>
    public static ShardIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"The shard index '{path}' does not exist.", path);
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"The shard index '{path}' is not valid JSON: {e.Message}", path, null, e);
        }

        if (root is not JsonObject rootObject || rootObject["weight_map"] is not JsonObject weightMapNode)
        {
            throw new CheckpointException($"The shard index '{path}' has no 'weight_map' object.", path);
        }

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, file) in weightMapNode)
        {
            if (file is not JsonValue value || !value.TryGetValue(out string? fileName) || string.IsNullOrWhiteSpace(fileName)
                || fileName.Contains('/') || fileName.Contains('\\') || fileName is "." or "..")
            {
                throw new CheckpointException(
                    $"The shard index '{path}' maps tensor '{name}' to '{file?.ToJsonString()}', which is not a file name in the checkpoint folder.", path, name);
            }

            weightMap[name] = fileName;
        }

        long totalSize = rootObject["metadata"]?["total_size"] is JsonValue size && size.TryGetValue(out long parsed) ? parsed : 0;
        return new ShardIndex(weightMap, totalSize);
    }

    /// <summary>Writes the index as Hugging Face does: <c>metadata.total_size</c> and a name-sorted <c>weight_map</c>.</summary>
    /// <param name="path">The destination file.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var weightMap = new JsonObject();
        foreach (var (name, file) in WeightMap.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            weightMap[name] = file;
        }

        var root = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = TotalSize },
            ["weight_map"] = weightMap,
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
