namespace Zephyr.Alignment.Runtime;

/// <summary>Where a model runs and in which precision: bound from configuration as strings.</summary>
public sealed class TorchDeviceOptions
{
    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. Default: <c>cpu</c>.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary><c>float32</c>, <c>bfloat16</c> or <c>float16</c> (also <c>fp32</c>, <c>bf16</c>, <c>fp16</c>). Default: <c>float32</c>.</summary>
    public string DType { get; set; } = "float32";

    /// <summary>
    /// When CUDA is requested but unavailable, log a warning and use the CPU instead of failing.
    /// Default: <see langword="false"/> (fail at start-up with a clear message).
    /// </summary>
    public bool AllowCpuFallback { get; set; }
}
