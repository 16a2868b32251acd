using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>Where a loaded model lives and in which precision.</summary>
public sealed class ModelLoadOptions
{
    /// <summary>The device the parameters are created on. Default: <see langword="null"/>, the CPU.</summary>
    public Device? Device { get; set; }

    /// <summary>
    /// The parameter dtype; stored tensors are converted one by one as they are read. Default: float32, whatever the
    /// checkpoint's dtype.
    /// </summary>
    public ScalarType DType { get; set; } = ScalarType.Float32;

    /// <summary>Builds options from configuration strings (<c>cuda:0</c>, <c>bf16</c>); the device is checked to exist.</summary>
    /// <exception cref="ArgumentException">The device or dtype name is unknown, or CUDA is unavailable and fall-back is off.</exception>
    public static ModelLoadOptions From(TorchDeviceOptions deviceOptions, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(deviceOptions);
        return new ModelLoadOptions
        {
            Device = TorchDevices.ResolveDevice(deviceOptions.Device, deviceOptions.AllowCpuFallback, warn),
            DType = TorchDevices.ParseDType(deviceOptions.DType),
        };
    }

    internal ModelPlacement ToPlacement()
    {
        if (DType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64))
        {
            throw new ArgumentException($"DType must be float32, bfloat16, float16 or float64; got {DType}.", nameof(DType));
        }

        return new ModelPlacement(Device ?? CPU, DType);
    }
}
