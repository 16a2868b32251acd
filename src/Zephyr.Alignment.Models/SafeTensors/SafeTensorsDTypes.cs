using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>The safetensors dtype names this library reads and writes, and their torch equivalents.</summary>
internal static class SafeTensorsDTypes
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> ByName = new(StringComparer.Ordinal)
    {
        ["F32"] = (ScalarType.Float32, 4),
        ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2),
        ["F64"] = (ScalarType.Float64, 8),
        ["I64"] = (ScalarType.Int64, 8),
        ["I32"] = (ScalarType.Int32, 4),
    };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool TryGet(string name, out ScalarType type, out int elementSize)
    {
        if (ByName.TryGetValue(name, out var entry))
        {
            (type, elementSize) = entry;
            return true;
        }

        type = default;
        elementSize = 0;
        return false;
    }

    public static bool IsFloating(ScalarType type)
        => type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    public static string NameOf(ScalarType type)
    {
        foreach (var (name, entry) in ByName)
        {
            if (entry.Type == type)
            {
                return name;
            }
        }

        throw new NotSupportedException($"Tensors of dtype {type} cannot be written to safetensors by this library.");
    }
}
