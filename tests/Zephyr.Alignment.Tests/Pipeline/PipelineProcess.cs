using System.Diagnostics;
using System.Reflection;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary>Runs the built mini-Zephyr program (<c>zephyr-pipeline</c>) and the other samples in their own process, as the README's commands do.</summary>
internal static class PipelineProcess
{
    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args) => RunAssembly("PipelineAssembly", args);

    /// <summary>Runs the sample whose built path the test assembly records under <paramref name="key"/>.</summary>
    public static (int ExitCode, string StdOut, string StdErr) RunAssembly(string key, params string[] args)
    {
        string assembly = typeof(PipelineProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // One torch thread: the suite runs tests in parallel, and libtorch's threads spin against each other otherwise.
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.ArgumentList.Add(assembly);
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
            throw new TimeoutException($"{Path.GetFileName(assembly)} did not finish: " + string.Join(' ', args));
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
