using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>Where new parameters are allocated and in which dtype.</summary>
internal sealed record ModelPlacement(Device Device, ScalarType DType);
