using System.Diagnostics;
using System.Reflection;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary>Runs the built mini-Zephyr program (<c>zephyr-pipeline</c>) in its own process, as the README's command does.</summary>
internal static class PipelineProcess
{
    private static readonly string Assembly = typeof(PipelineProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PipelineAssembly").Value!;

    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // One torch thread: the suite runs tests in parallel, and libtorch's threads spin against each other otherwise.
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.ArgumentList.Add(Assembly);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("zephyr-pipeline did not finish: " + string.Join(' ', args));
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
