using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Runtime;

/// <summary>Parses and checks device and dtype names, so a bad choice fails at start-up and not inside a kernel.</summary>
public static class TorchDevices
{
    /// <summary>Parses a dtype name.</summary>
    /// <exception cref="ArgumentException">The name is not a supported floating-point type.</exception>
    public static ScalarType ParseDType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "float32" or "fp32" or "float" or "f32" => ScalarType.Float32,
            "bfloat16" or "bf16" => ScalarType.BFloat16,
            "float16" or "fp16" or "half" or "f16" => ScalarType.Float16,
            _ => throw new ArgumentException($"Unknown dtype '{name}'. Use float32, bfloat16 or float16.", nameof(name)),
        };
    }

    /// <summary>The canonical name of a floating-point dtype (<c>float32</c>, <c>bfloat16</c>, <c>float16</c>).</summary>
    public static string DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Parses a device name and checks it exists on this machine. Loads the torch runtime first.
    /// </summary>
    /// <param name="name"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <param name="allowCpuFallback">Return the CPU instead of failing when CUDA is unavailable.</param>
    /// <param name="warn">Receives the fall-back warning, when one happens.</param>
    /// <exception cref="ArgumentException">The name is malformed, or CUDA (or that GPU index) is unavailable.</exception>
    public static Device ResolveDevice(string name, bool allowCpuFallback = false, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        TorchRuntime.EnsureInitialized();
        string normalized = name.Trim().ToLowerInvariant();
        if (normalized == "cpu")
        {
            return CPU;
        }

        if (normalized != "cuda" && !normalized.StartsWith("cuda:", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Unknown device '{name}'. Use cpu, cuda or cuda:N.", nameof(name));
        }

        int index = 0;
        if (normalized.Length > 4 && !int.TryParse(normalized.AsSpan(5), out index))
        {
            throw new ArgumentException($"Unknown device '{name}'. Use cpu, cuda or cuda:N.", nameof(name));
        }

        string? problem = null;
        if (!cuda.is_available())
        {
            problem = $"Device '{name}' was requested but CUDA is not available: the application references no CUDA " +
                "backend (build with -p:TorchBackend=cuda-linux or cuda-windows) or this machine has no usable NVIDIA GPU/driver.";
        }
        else if (index < 0 || index >= cuda.device_count())
        {
            problem = $"Device '{name}' was requested but this machine has {cuda.device_count()} CUDA device(s).";
        }

        if (problem is null)
        {
            return new Device(DeviceType.CUDA, index);
        }

        if (!allowCpuFallback)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        warn?.Invoke(problem + " Falling back to the CPU.");
        return CPU;
    }
}
