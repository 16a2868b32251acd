using Microsoft.Extensions.Options;

namespace Zephyr.Alignment.Runtime;

/// <summary>Checks <see cref="NativeMemoryOptions"/>, reporting every problem at once.</summary>
public sealed class NativeMemoryOptionsValidator : IValidateOptions<NativeMemoryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, NativeMemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MmapThresholdBytes is <= 0 or > NativeMemoryOptions.MaxMmapThresholdBytes)
        {
            failures.Add($"MmapThresholdBytes {options.MmapThresholdBytes} is not valid: glibc accepts 1 to {NativeMemoryOptions.MaxMmapThresholdBytes} (32 MiB).");
        }

        if (options.TrimThresholdBytes is < 0 or > int.MaxValue)
        {
            failures.Add($"TrimThresholdBytes {options.TrimThresholdBytes} is not valid: use 0 to {int.MaxValue}.");
        }

        if (options.ArenaMax < 0)
        {
            failures.Add($"ArenaMax {options.ArenaMax} is not valid: use 0 (glibc's default) or a positive count.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
