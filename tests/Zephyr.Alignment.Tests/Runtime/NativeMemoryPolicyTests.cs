using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Tests.Runtime;

/// <summary>
/// The allocator policy's decisions, with a recorded <c>mallopt</c> and environment (the real one is process-wide;
/// <see cref="ResidentMemoryTests"/> measures its effect in a process of its own).
/// </summary>
public sealed class NativeMemoryPolicyTests
{
    private const int MTrimThreshold = -1, MMmapThreshold = -3, MArenaMax = -8;

    [LinuxFact]
    public void Defaults_set_the_mmap_and_trim_thresholds()
    {
        var calls = new List<(int, int)>();
        NativeMemoryPolicy policy = NativeMemoryPolicy.Apply(new NativeMemoryOptions(), _ => null, Record(calls));
        Assert.Equal([(MMmapThreshold, 4 << 20), (MTrimThreshold, 64 << 20)], calls);
        Assert.Equal(["M_MMAP_THRESHOLD=4194304", "M_TRIM_THRESHOLD=67108864"], policy.Applied);
        Assert.Empty(policy.Skipped);
    }

    [LinuxFact]
    public void The_users_malloc_environment_wins_and_the_skip_is_reported()
    {
        var calls = new List<(int, int)>();
        var environment = new Dictionary<string, string>
        {
            ["MALLOC_MMAP_THRESHOLD_"] = "65536",
            ["GLIBC_TUNABLES"] = "glibc.malloc.arena_max=2",
        };
        NativeMemoryPolicy policy = NativeMemoryPolicy.Apply(
            new NativeMemoryOptions { ArenaMax = 4 }, name => environment.GetValueOrDefault(name), Record(calls));
        Assert.Equal([(MTrimThreshold, 64 << 20)], calls);
        Assert.Equal(2, policy.Skipped.Count);
        Assert.Contains(policy.Skipped, s => s.Contains("MALLOC_MMAP_THRESHOLD_=65536", StringComparison.Ordinal));
        Assert.Contains(policy.Skipped, s => s.Contains("glibc.malloc.arena_max", StringComparison.Ordinal));
    }

    [LinuxFact]
    public void Turned_off_it_calls_nothing_and_says_so()
    {
        var calls = new List<(int, int)>();
        NativeMemoryPolicy policy = NativeMemoryPolicy.Apply(new NativeMemoryOptions { TuneAllocator = false }, _ => null, Record(calls));
        Assert.Empty(calls);
        Assert.Empty(policy.Applied);
        Assert.Contains("TuneAllocator is off", Assert.Single(policy.Skipped), StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_setting_glibc_refuses_is_logged_as_a_warning()
    {
        NativeMemoryPolicy policy = NativeMemoryPolicy.Apply(
            new NativeMemoryOptions { ArenaMax = 2 }, _ => null, (parameter, _) => parameter == MArenaMax ? 0 : 1);
        Assert.Equal(["M_MMAP_THRESHOLD=4194304", "M_TRIM_THRESHOLD=67108864"], policy.Applied);
        Assert.Contains("M_ARENA_MAX=2", Assert.Single(policy.Failed), StringComparison.Ordinal);

        var logger = new ListLogger();
        policy.Log(logger);
        Assert.Equal([LogLevel.Information, LogLevel.Warning], logger.Levels);
    }

    [Fact]
    public void The_validator_reports_every_bad_value_at_once()
    {
        ValidateOptionsResult result = new NativeMemoryOptionsValidator().Validate(null, new NativeMemoryOptions
        {
            MmapThresholdBytes = 64L << 20,
            TrimThresholdBytes = -1,
            ArenaMax = -1,
        });
        Assert.True(result.Failed);
        Assert.Equal(3, result.Failures!.Count());
        Assert.True(new NativeMemoryOptionsValidator().Validate(null, new NativeMemoryOptions()).Succeeded);
    }

    [Fact]
    public void Configuring_after_the_runtime_initialised_is_refused_and_bad_options_are_rejected()
    {
        TorchRuntime.EnsureInitialized();
        Assert.Throws<InvalidOperationException>(() => TorchRuntime.ConfigureNativeMemory(new NativeMemoryOptions()));
        Assert.Throws<OptionsValidationException>(() => TorchRuntime.ConfigureNativeMemory(new NativeMemoryOptions { MmapThresholdBytes = 0 }));
    }

    private static Func<int, int, int> Record(List<(int, int)> calls) => (parameter, value) =>
    {
        calls.Add((parameter, value));
        return 1;
    };

    private sealed class ListLogger : ILogger
    {
        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Levels.Add(logLevel);
    }
}
