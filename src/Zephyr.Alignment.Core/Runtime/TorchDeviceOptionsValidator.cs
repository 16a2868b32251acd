using Microsoft.Extensions.Options;

namespace Zephyr.Alignment.Runtime;

/// <summary>
/// Checks <see cref="TorchDeviceOptions"/> by syntax only (no native code runs), reporting every problem at once.
/// Whether CUDA is present is checked when the device is resolved (<see cref="TorchDevices.ResolveDevice"/>).
/// </summary>
public sealed class TorchDeviceOptionsValidator : IValidateOptions<TorchDeviceOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TorchDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!IsDeviceName(options.Device))
        {
            failures.Add($"Device '{options.Device}' is not valid: use cpu, cuda or cuda:N.");
        }

        try
        {
            TorchDevices.ParseDType(options.DType ?? string.Empty);
        }
        catch (ArgumentException)
        {
            failures.Add($"DType '{options.DType}' is not valid: use float32, bfloat16 or float16.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsDeviceName(string? device)
    {
        string value = device?.Trim().ToLowerInvariant() ?? string.Empty;
        return value == "cpu" || value == "cuda"
            || (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(5), out int index) && index >= 0);
    }
}
