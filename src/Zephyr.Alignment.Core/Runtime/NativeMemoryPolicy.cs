using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Runtime;

/// <summary>What <see cref="TorchRuntime"/> did to the native allocator at start-up.</summary>
/// <param name="Platform">The C library found: <c>glibc 2.36</c>, or why none applies (<c>windows</c>, <c>not glibc</c>).</param>
/// <param name="Applied">The malloc parameters set, as <c>M_MMAP_THRESHOLD=4194304</c>.</param>
/// <param name="Skipped">Parameters left alone and why (an environment variable, the option turned off).</param>
/// <param name="Failed">Parameters glibc refused (<c>mallopt</c> returned 0).</param>
public sealed record NativeMemoryPolicy(string Platform, IReadOnlyList<string> Applied, IReadOnlyList<string> Skipped, IReadOnlyList<string> Failed)
{
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;
    private const int MArenaMax = -8;

    /// <summary>No policy applied yet (the runtime is not initialised).</summary>
    internal static NativeMemoryPolicy NotApplied { get; } = new("not initialised", [], [], []);

    /// <summary>Logs the policy: applied and skipped settings at Information, refused ones at Warning.</summary>
    /// <param name="logger">The logger.</param>
    public void Log(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (Applied.Count > 0)
        {
            NativeMemoryLog.Applied(logger, Platform, string.Join(", ", Applied));
        }

        foreach (string skipped in Skipped)
        {
            NativeMemoryLog.Skipped(logger, Platform, skipped);
        }

        foreach (string failed in Failed)
        {
            NativeMemoryLog.Failed(logger, Platform, failed);
        }
    }

    /// <summary>Applies <paramref name="options"/> to this process's allocator.</summary>
    /// <param name="options">The validated options.</param>
    /// <param name="environment">Reads an environment variable (the process's by default; tests pass their own).</param>
    /// <param name="mallopt">Sets one malloc parameter (glibc's <c>mallopt</c> by default); returns nonzero on success.</param>
    internal static NativeMemoryPolicy Apply(NativeMemoryOptions options, Func<string, string?>? environment = null, Func<int, int, int>? mallopt = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return new NativeMemoryPolicy(RuntimeInformation.OSDescription, [], ["the allocator policy applies to Linux with glibc only; nothing was changed"], []);
        }

        string? version = mallopt is null ? GlibcVersion() : "glibc (test)";
        if (version is null)
        {
            return new NativeMemoryPolicy("not glibc", [], ["the C library is not glibc (musl?); nothing was changed"], []);
        }

        if (!options.TuneAllocator)
        {
            return new NativeMemoryPolicy(version, [], ["NativeMemoryOptions.TuneAllocator is off; glibc's defaults stay (dynamic mmap threshold)"], []);
        }

        environment ??= Environment.GetEnvironmentVariable;
        mallopt ??= NativeMethods.mallopt;
        var applied = new List<string>();
        var skipped = new List<string>();
        var failed = new List<string>();
        string tunables = environment("GLIBC_TUNABLES") ?? string.Empty;
        Set("M_MMAP_THRESHOLD", MMmapThreshold, options.MmapThresholdBytes, "MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold");
        Set("M_TRIM_THRESHOLD", MTrimThreshold, options.TrimThresholdBytes, "MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold");
        if (options.ArenaMax > 0)
        {
            Set("M_ARENA_MAX", MArenaMax, options.ArenaMax, "MALLOC_ARENA_MAX", "glibc.malloc.arena_max");
        }

        return new NativeMemoryPolicy(version, applied, skipped, failed);

        void Set(string name, int parameter, long value, string variable, string tunable)
        {
            if (environment(variable) is { Length: > 0 } userValue)
            {
                skipped.Add($"{name}: {variable}={userValue} is set in the environment and wins");
            }
            else if (tunables.Contains(tunable, StringComparison.Ordinal))
            {
                skipped.Add($"{name}: GLIBC_TUNABLES sets {tunable} and wins");
            }
            else if (mallopt(parameter, checked((int)value)) != 0)
            {
                applied.Add($"{name}={value}");
            }
            else
            {
                failed.Add($"{name}={value}: mallopt refused it; glibc's default stays");
            }
        }
    }

    private static string? GlibcVersion()
    {
        try
        {
            return "glibc " + Marshal.PtrToStringUTF8(NativeMethods.gnu_get_libc_version());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc.so.6", EntryPoint = "mallopt")]
        public static extern int mallopt(int parameter, int value);

        [DllImport("libc.so.6", EntryPoint = "gnu_get_libc_version")]
        public static extern IntPtr gnu_get_libc_version();
    }
}
