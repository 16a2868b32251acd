using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Zephyr.Alignment.Tests.Cli;

/// <summary>A <c>zephyr</c> process that runs while the test talks to it (a server, a run to interrupt).</summary>
internal sealed class ZephyrProcess : IDisposable
{
    private static readonly string Assembly = typeof(ZephyrProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CliAssembly").Value!;

    /// <summary>GNU coreutils' env, which can reset a signal to its default before it runs the command.</summary>
    private const string DefaultSignalEnv = "/usr/bin/env";

    /// <summary>Whether <see cref="DefaultSignalEnv"/> takes <c>--default-signal</c> (coreutils 8.31 and later; not busybox's).</summary>
    private static readonly Lazy<bool> CanResetSignals = new(() =>
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(DefaultSignalEnv))
        {
            return false;
        }

        using Process probe = Process.Start(new ProcessStartInfo(DefaultSignalEnv, ["--default-signal=INT", "true"]) { RedirectStandardError = true })!;
        probe.WaitForExit();
        return probe.ExitCode == 0;
    });

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<string> _firstMatch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _waitFor;

    public ZephyrProcess(IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null, string? waitFor = null)
    {
        _waitFor = waitFor;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (CanResetSignals.Value)
        {
            // A test run started in the background of a non-interactive shell (`cmd &`, as CI scripts may do) ignores
            // SIGINT, children inherit that, and .NET then never sees the Ctrl+C that Interrupt sends: restore it.
            start.FileName = DefaultSignalEnv;
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(Assembly);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Received(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Received(_stderr, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string StdOut
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The first output line containing the <c>waitFor</c> text.</summary>
    public async Task<string> WaitForLineAsync(TimeSpan timeout)
    {
        Task done = await Task.WhenAny(_firstMatch.Task, _process.WaitForExitAsync(), Task.Delay(timeout));
        return done == _firstMatch.Task
            ? await _firstMatch.Task
            : throw new TimeoutException($"zephyr did not print '{_waitFor}'.\nstdout: {StdOut}\nstderr: {StdErr}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>Sends SIGINT, as Ctrl+C does.</summary>
    public void Interrupt()
    {
        using Process kill = Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void Received(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }

        if (_waitFor is not null && line.Contains(_waitFor, StringComparison.Ordinal))
        {
            _firstMatch.TrySetResult(line);
        }
    }
}
