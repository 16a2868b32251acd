using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Zephyr.Alignment.Tests.Runtime;

/// <summary>
/// Runs tests/Zephyr.Alignment.MemoryProbe: training through the library's loop in a process of its own, because the
/// native allocator policy is process-wide and must not leak into (or be decided by) the other tests.
/// </summary>
internal static class MemoryProbe
{
    private static readonly string Assembly = typeof(MemoryProbe).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MemoryProbeAssembly").Value!;

    /// <summary>One optimizer step as the probe saw it.</summary>
    public sealed record Step(int Number, long RssKb, long PeakKb);

    /// <summary>Runs the probe; <paramref name="policy"/> is <c>default</c> (the library's), <c>on</c> or <c>off</c>.</summary>
    public static (string Policy, IReadOnlyList<Step> Steps) Run(string outputDirectory, string mode, int steps, string policy, params int[] shape)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[Assembly, outputDirectory, mode, steps.ToString(CultureInfo.InvariantCulture), policy,
            .. shape.Select(s => s.ToString(CultureInfo.InvariantCulture))])
        {
            start.ArgumentList.Add(arg);
        }

        // The child must see the allocator as a user's app would: no MALLOC_* settings inherited from this process.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MALLOC_", StringComparison.Ordinal) || k == "GLIBC_TUNABLES").ToList())
        {
            start.Environment.Remove(name);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The memory probe did not finish.");
        }

        Assert.True(process.ExitCode == 0, $"The memory probe failed ({process.ExitCode}): {stderr.Result}\n{stdout.Result}");
        string[] lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string applied = lines.Single(l => l.StartsWith("policy", StringComparison.Ordinal))["policy".Length..].Trim();
        var parsed = lines.Where(l => l.StartsWith("step ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Select(f => new Step(int.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();
        return (applied, parsed);
    }
}
