namespace Zephyr.Alignment.Runtime;

/// <summary>
/// How the process's native allocator is set up when the torch runtime initialises (<see cref="TorchRuntime.EnsureInitialized"/>).
/// On Linux with glibc, libtorch's CPU tensors come from <c>malloc</c>, whose dynamic mmap threshold otherwise lets the
/// heap fragment and resident memory grow step after step (see <c>docs/troubleshooting.md</c>, "Resident memory grows").
/// </summary>
/// <remarks>
/// <para>
/// The policy is process-wide and applied once, before the first tensor: set it with
/// <see cref="TorchRuntime.ConfigureNativeMemory"/> (or <c>AddZephyrAlignment().ConfigureNativeMemory(...)</c>) before any
/// model is created. A glibc <c>MALLOC_*</c> environment variable or <c>GLIBC_TUNABLES</c> entry for a setting wins over
/// the value here: that setting is skipped and the skip is logged.
/// </para>
/// <para>Other platforms (Windows, macOS, Linux with musl) have no such switch; nothing is changed there and the training
/// loop logs that the policy does not apply.</para>
/// </remarks>
public sealed class NativeMemoryOptions
{
    /// <summary>The largest value glibc accepts for <see cref="MmapThresholdBytes"/> on 64-bit systems (32 MiB).</summary>
    public const long MaxMmapThresholdBytes = 32L * 1024 * 1024;

    /// <summary>
    /// Set glibc's malloc parameters below at start-up. Default: <see langword="true"/>. Turn it off to keep glibc's
    /// defaults (or to set your own through <c>MALLOC_*</c> variables, jemalloc or tcmalloc via <c>LD_PRELOAD</c>).
    /// </summary>
    public bool TuneAllocator { get; set; } = true;

    /// <summary>
    /// <c>M_MMAP_THRESHOLD</c>: blocks of at least this many bytes are mapped with <c>mmap</c> and returned to the system
    /// when freed; setting it also turns off glibc's dynamic raising of the threshold. Default: 4 MiB (4,194,304);
    /// between 0 (exclusive) and <see cref="MaxMmapThresholdBytes"/>.
    /// </summary>
    public long MmapThresholdBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>
    /// <c>M_TRIM_THRESHOLD</c>: free memory at the top of the heap above this many bytes is returned to the system.
    /// Default: 64 MiB (67,108,864); at least 0.
    /// </summary>
    public long TrimThresholdBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// <c>M_ARENA_MAX</c>: the most malloc arenas; 0 leaves glibc's default (8 per core). Default: 0.
    /// </summary>
    public int ArenaMax { get; set; }
}
