using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;
using Zephyr.Alignment.Build;

namespace Zephyr.Alignment.Runtime;

/// <summary>
/// Loads TorchSharp's native backend once, and turns a failure into a <see cref="TorchRuntimeException"/> that
/// says what is missing (no backend package, a libstdc++ too old) and how to fix it. Before loading it, it sets the
/// native allocator policy of <see cref="NativeMemoryOptions"/> (glibc on Linux), so that every app that references
/// the packages trains with flat resident memory.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool initialized;
    private static NativeMemoryOptions nativeMemoryOptions = new();
    private static NativeMemoryPolicy nativeMemory = NativeMemoryPolicy.NotApplied;

    /// <summary>What was done to the native allocator when the runtime initialised (the training loop logs it).</summary>
    public static NativeMemoryPolicy NativeMemory => Volatile.Read(ref nativeMemory);

    /// <summary>
    /// Sets the native allocator policy applied when the runtime initialises; call it before the first model or tensor
    /// is created (the policy is process-wide and applied once). Without a call, the defaults of
    /// <see cref="NativeMemoryOptions"/> apply.
    /// </summary>
    /// <param name="options">The policy; validated by <see cref="NativeMemoryOptionsValidator"/>.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are not valid.</exception>
    /// <exception cref="InvalidOperationException">The runtime has already initialised, so its policy is already in place.</exception>
    public static void ConfigureNativeMemory(NativeMemoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new NativeMemoryOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(nameof(NativeMemoryOptions), typeof(NativeMemoryOptions), result.Failures);
        }

        lock (Gate)
        {
            if (initialized)
            {
                throw new InvalidOperationException(
                    $"The torch runtime has already initialised with its native memory policy ({Describe(nativeMemory)}); " +
                    "call ConfigureNativeMemory before the first model or tensor is created.");
            }

            nativeMemoryOptions = new NativeMemoryOptions
            {
                TuneAllocator = options.TuneAllocator,
                MmapThresholdBytes = options.MmapThresholdBytes,
                TrimThresholdBytes = options.TrimThresholdBytes,
                ArenaMax = options.ArenaMax,
            };
        }
    }

    /// <summary>Ensures torch can run on the CPU; call before the first tensor operation. Cheap after the first call.</summary>
    /// <exception cref="TorchRuntimeException">The native backend cannot be loaded.</exception>
    public static void EnsureInitialized()
    {
        if (Volatile.Read(ref initialized))
        {
            return;
        }

        lock (Gate)
        {
            if (initialized)
            {
                return;
            }

            // Before libtorch allocates anything, so that all its blocks follow the policy.
            Volatile.Write(ref nativeMemory, NativeMemoryPolicy.Apply(nativeMemoryOptions));
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new TorchRuntimeException(Diagnose(AppContext.BaseDirectory, e.Message), e);
            }

            Volatile.Write(ref initialized, true);
        }
    }

    private static string Describe(NativeMemoryPolicy policy)
        => policy.Applied.Count > 0 ? string.Join(", ", policy.Applied) : string.Join("; ", policy.Skipped.Concat(policy.Failed));

    /// <summary>Explains why the native backend under <paramref name="appDirectory"/> would not load.</summary>
    /// <param name="appDirectory">The application folder.</param>
    /// <param name="torchMessage">TorchSharp's own error message.</param>
    /// <param name="libStdCxx">The libstdc++ to compare with; null finds the system's.</param>
    internal static string Diagnose(string appDirectory, string torchMessage, string? libStdCxx = null)
    {
        var message = new StringBuilder("TorchSharp's native backend could not be loaded. ");
        string? bridge = FindNativeBridge(appDirectory);
        bool hasLibTorch = HasLibTorch(appDirectory);
        if (bridge is null || !hasLibTorch)
        {
            message.Append("The application folder ").Append(appDirectory)
                .Append(" has no libtorch native libraries: the torch backend belongs to the application, so reference one ")
                .Append("backend package from the application project: libtorch-cpu-linux-x64 / libtorch-cpu-win-x64 / ")
                .Append("libtorch-cpu-osx-arm64 (CPU, this platform only), TorchSharp-cpu (CPU, all platforms), ")
                .Append("TorchSharp-cuda-linux or TorchSharp-cuda-windows (NVIDIA GPUs). ");
        }
        else if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && bridge.EndsWith(".so", StringComparison.Ordinal))
        {
            try
            {
                GlibcxxCompatResult check = GlibcxxCompat.Apply(bridge, libStdCxx, dryRun: true);
                if (check.Weakened.Count > 0)
                {
                    message.Append(bridge).Append(" requires ").Append(string.Join(", ", check.Weakened))
                        .Append(" but ").Append(check.LibStdCxx).Append(" does not provide it. The Zephyr.Alignment.Core ")
                        .Append("build targets relax this requirement in the build output; they did not run for this copy ")
                        .Append("(ZephyrRelaxGlibcxx=false, or the output was built on another machine). Rebuild or republish ")
                        .Append("the application on this machine with dotnet build / dotnet publish, or install the libstdc++ ")
                        .Append("of GCC 13 or newer. ");
                }
                else if (check.Unfixable.Count > 0)
                {
                    message.Append(check.Describe()).Append(". Install the libstdc++ of GCC 13 or newer. ");
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                message.Append("(Could not inspect ").Append(bridge).Append(": ").Append(e.Message).Append(") ");
            }
        }

        message.Append("See docs/troubleshooting.md. TorchSharp said: ").Append(FirstLines(torchMessage, 3));
        return message.ToString();
    }

    private static string? FindNativeBridge(string appDirectory)
    {
        string[] names = ["libLibTorchSharp.so", "LibTorchSharp.dll", "libLibTorchSharp.dylib"];
        foreach (string name in names)
        {
            string direct = Path.Combine(appDirectory, name);
            if (File.Exists(direct))
            {
                return direct;
            }

            string runtimes = Path.Combine(appDirectory, "runtimes");
            if (Directory.Exists(runtimes))
            {
                string? found = Directory.EnumerateFiles(runtimes, name, SearchOption.AllDirectories)
                    .FirstOrDefault(p => p.Contains(RuntimeInformation.RuntimeIdentifier, StringComparison.Ordinal)
                        || p.Contains(PlatformRid(), StringComparison.Ordinal));
                if (found is not null)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private static bool HasLibTorch(string appDirectory)
    {
        string[] names = ["libtorch_cpu.so", "torch_cpu.dll", "libtorch_cpu.dylib"];
        return names.Any(n => File.Exists(Path.Combine(appDirectory, n))
            || (Directory.Exists(Path.Combine(appDirectory, "runtimes"))
                && Directory.EnumerateFiles(Path.Combine(appDirectory, "runtimes"), n, SearchOption.AllDirectories).Any()));
    }

    private static string PlatformRid()
    {
        string os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx" : "linux";
        return os + "-" + RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
    }

    private static string FirstLines(string text, int count)
        => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(count));
}
