using System.Text.Json;
using Zephyr.Alignment.Tests.Aif;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Cli;

/// <summary><c>zephyr aif</c> as a user runs it: separate processes, our model as generators, the rule-based teacher over HTTP.</summary>
public sealed class AifCliTests : IDisposable
{
    private const int Prompts = 8;
    private const string KeyVariable = "ZEPHYR_TEST_TEACHER_KEY";
    private const string Secret = "sk-zephyr-test-SECRET-4711";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _folder = new();
    private readonly RuleBasedTeacherServer _teacher = new();

    public void Dispose()
    {
        _teacher.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_killed_run_resumes_to_the_same_dataset_as_an_uninterrupted_run_with_every_prompt_once_and_the_key_never_written()
    {
        string config = WriteConfig();
        string killed = Path.Combine(_folder.Path, "killed");

        // First run: the teacher holds the request after three prompts (4 aspects each) until the process is killed.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _teacher.Unavailable.Add(2); // one transient 503, retried
        _teacher.Gate = n =>
        {
            if (n == (3 * 4) + 2)
            {
                held.TrySetResult();
                return release.Task;
            }

            return Task.CompletedTask;
        };
        var outputs = new List<string>();
        using (var first = Run(config, "--OutputDirectory", killed))
        {
            await held.Task.WaitAsync(Timeout);
            Assert.Equal(3, File.ReadAllLines(Path.Combine(killed, "scored.jsonl")).Length);
            first.Kill();
            outputs.Add(first.StdOut + first.StdErr);
        }

        release.SetResult();
        _teacher.Gate = null;
        Assert.False(File.Exists(Path.Combine(killed, "train_prefs.parquet")));

        using (var resumed = Run(config, "--OutputDirectory", killed, "--verbose"))
        {
            Assert.Equal(0, await resumed.WaitForExitAsync(Timeout));
            outputs.Add(resumed.StdOut + resumed.StdErr);
            Assert.Contains("3 resumed", resumed.StdOut, StringComparison.Ordinal);
        }

        string straight = Path.Combine(_folder.Path, "straight");
        using (var uninterrupted = Run(config, "--OutputDirectory", straight))
        {
            Assert.Equal(0, await uninterrupted.WaitForExitAsync(Timeout));
            outputs.Add(uninterrupted.StdOut + uninterrupted.StdErr);
            Assert.Contains("pairs", uninterrupted.StdOut, StringComparison.Ordinal);
            Assert.Contains("mean score_chosen", uninterrupted.StdOut, StringComparison.Ordinal);
        }

        string[] ids = File.ReadAllLines(Path.Combine(killed, "scored.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("prompt_id").GetString()!).ToArray();
        Assert.Equal(Prompts, ids.Length);
        Assert.Equal(Prompts, ids.Distinct().Count());
        Assert.Equal(
            File.ReadAllLines(Path.Combine(straight, "scored.jsonl")).Order(StringComparer.Ordinal),
            File.ReadAllLines(Path.Combine(killed, "scored.jsonl")).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "train_prefs.jsonl")), File.ReadAllBytes(Path.Combine(killed, "train_prefs.jsonl")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "train_prefs.parquet")), File.ReadAllBytes(Path.Combine(killed, "train_prefs.parquet")));

        // The key went to the teacher, and nowhere else.
        Assert.All(_teacher.Authorizations, a => Assert.Equal("Bearer " + Secret, a));
        Assert.All(outputs, o => Assert.DoesNotContain(Secret, o, StringComparison.Ordinal));
        foreach (string file in Directory.GetFiles(_folder.Path, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(Secret, File.ReadAllText(file), StringComparison.Ordinal);
        }

        // A different configuration into the finished run's folder is refused rather than mixed in.
        byte[] before = File.ReadAllBytes(Path.Combine(killed, "scored.jsonl"));
        using (var other = Run(config, "--OutputDirectory", killed, "--Seed", "43"))
        {
            Assert.Equal(2, await other.WaitForExitAsync(Timeout));
            Assert.Contains("this is another AIF run: the settings differ (seed)", other.StdErr, StringComparison.Ordinal);
            Assert.Contains("scored.jsonl, train_prefs.parquet, train_prefs.jsonl, aif-run.json", other.StdErr, StringComparison.Ordinal);
            Assert.Contains("set OverwriteOutputDirectory to true (overwrite_output_dir)", other.StdErr, StringComparison.Ordinal);
        }

        Assert.Equal(before, File.ReadAllBytes(Path.Combine(killed, "scored.jsonl")));

        // HF's way out: overwrite_output_dir deletes the earlier run's files first, and only those.
        string notes = Path.Combine(killed, "notes.txt");
        File.WriteAllText(notes, "kept");
        using (var replace = Run(config, "--OutputDirectory", killed, "--Seed", "43", "--MaxPrompts", "2", "--overwrite_output_dir", "true"))
        {
            Assert.Equal(0, await replace.WaitForExitAsync(Timeout));
            Assert.Contains("OverwriteOutputDirectory: deleted", replace.StdOut + replace.StdErr, StringComparison.Ordinal);
        }

        Assert.Equal(2, File.ReadAllLines(Path.Combine(killed, "scored.jsonl")).Length);
        Assert.Equal("kept", File.ReadAllText(notes));
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(killed, "aif-run.json")));
        Assert.Equal(43, manifest.RootElement.GetProperty("settings").GetProperty("seed").GetInt32());
    }

    [LinuxFact] // sends SIGINT with kill(1)
    public async Task Ctrl_c_exits_130_and_keeps_what_finished()
    {
        string output = Path.Combine(_folder.Path, "interrupted");
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _teacher.Gate = n =>
        {
            if (n == 4 + 1)
            {
                held.TrySetResult();
                return Task.Delay(System.Threading.Timeout.Infinite);
            }

            return Task.CompletedTask;
        };
        using var run = Run(WriteConfig(), "--OutputDirectory", output);
        await held.Task.WaitAsync(Timeout);
        run.Interrupt();
        Assert.Equal(130, await run.WaitForExitAsync(Timeout));
        Assert.Single(File.ReadAllLines(Path.Combine(output, "scored.jsonl")));
    }

    [Fact]
    public void Bad_configurations_exit_2_with_one_clear_line()
    {
        string config = WriteConfig();
        (int code, _, string stderr) = ZephyrCli.Run("aif", "--config", config, "--NoSuchOption", "1");
        Assert.Equal(2, code);
        Assert.Contains("unknown option(s)", stderr, StringComparison.Ordinal);

        (code, _, stderr) = ZephyrCli.Run("aif", "--config", config, "--Generators:1:Samples", "0", "--MaxConcurrency", "0", "--Teacher:Endpoint", "localhost");
        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("Generators:1:Samples must be at least 1", stderr, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrency must be at least 1", stderr, StringComparison.Ordinal);
        Assert.Contains("Teacher:Endpoint 'localhost' is not an http(s) URL", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_named_api_key_variable_that_is_not_set_or_a_missing_prompts_file_is_bad_input()
    {
        string config = WriteConfig();
        (int code, _, string stderr) = ZephyrCli.Run("aif", "--config", config, "--PromptsFile", "missing.jsonl");
        Assert.Equal(2, code);
        Assert.Contains("PromptsFile", stderr, StringComparison.Ordinal);
        Assert.Contains("missing.jsonl' does not exist", stderr, StringComparison.Ordinal);

        (code, _, stderr) = ZephyrCli.Run("aif", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains($"'{KeyVariable}' named in the configuration is not set", stderr, StringComparison.Ordinal);
    }

    private ZephyrProcess Run(string config, params string[] overrides) =>
        new(["aif", "--config", config, .. overrides], new Dictionary<string, string> { [KeyVariable] = Secret });

    private string WriteConfig()
    {
        string prompts = _folder.File("prompts.jsonl");
        File.WriteAllLines(prompts, Enumerable.Range(0, Prompts).Select(i => JsonSerializer.Serialize(new { prompt = i % 4 == 0 ? $"Write a poem about the number {i}." : $"Explain idea number {i}." })));
        string config = _folder.File("aif.json");
        string model = TestPaths.Fixture("tiny-llama");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            PromptsFile = "prompts.jsonl",
            Generators = new object[]
            {
                new { Name = "tiny-cold", ModelPath = model, Temperature = 0.3, MaxNewTokens = 8 },
                new { Name = "tiny-hot", ModelPath = model, Temperature = 1.2, TopP = 0.95, MaxNewTokens = 8, Samples = 2 },
            },
            Teacher = new { Endpoint = _teacher.Endpoint, Model = "rules", ApiKeyVariable = KeyVariable },
            OutputDirectory = "aif-out",
            Seed = 42,
            MaxConcurrency = 1,
            RetryBaseDelaySeconds = 0,
        }));
        return config;
    }
}
