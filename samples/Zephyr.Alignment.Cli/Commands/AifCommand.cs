using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Candidates;
using Zephyr.Alignment.Aif.Clients;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Models.Generation;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// <c>zephyr aif --config aif.json [--key value ...]</c>: prompts → candidates from the configured generators →
/// ratings from the teacher → <c>train_prefs.parquet</c>/<c>.jsonl</c> in the <c>ultrafeedback_binarized</c>
/// schema. Same config and override rules as <c>zephyr dpo</c>; resumable into the same output folder, and
/// replaceable with <c>--OverwriteOutputDirectory true</c> (<c>--overwrite_output_dir true</c>).
/// </summary>
internal static class AifCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config", "-c")
        {
            Description = "JSON file of AifOptions (PromptsFile, Generators, Teacher, OutputDirectory, Seed, MaxConcurrency, ...); relative paths are relative to the file.",
            Required = true,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log the library's informational messages too." };
        var command = new Command("aif", "Build preference data with AI feedback: candidates from several generators, UltraFeedback ratings from a teacher, binarized pairs for dDPO. " +
            "Any other --key value pair overrides the config file (e.g. --MaxConcurrency 8, --Generators:0:Temperature 1.0). API keys come from OPENAI_API_KEY or the variable named by ApiKeyVariable.")
        {
            config,
            verbose,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            FileInfo file = parse.GetValue(config)!;
            TrainingConfiguration settings = TrainingConfiguration.Load(file, parse.UnmatchedTokens, [], typeof(AifOptions), recipeKeys: false);
            AifOptions options = settings.Bind(new AifOptions(), device: false);
            string baseDirectory = file.DirectoryName ?? Directory.GetCurrentDirectory();
            string? Resolve(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path, baseDirectory);
            options.PromptsFile = Resolve(options.PromptsFile) ?? string.Empty;
            options.OutputDirectory = Resolve(options.OutputDirectory)!;
            foreach (GeneratorOptions g in options.Generators)
            {
                g.ModelPath = Resolve(g.ModelPath);
            }

            options.Teacher.ModelPath = Resolve(options.Teacher.ModelPath);
            if (!string.IsNullOrWhiteSpace(options.PromptsFile) && !File.Exists(options.PromptsFile))
            {
                throw new CliInputException($"{file.Name}: PromptsFile '{options.PromptsFile}' does not exist");
            }

            ValidateOptionsResult valid = new AifOptionsValidator().Validate(null, options);
            if (valid.Failed)
            {
                throw new CliInputException($"{file.Name}: {string.Join(" ", valid.Failures)}");
            }

            using ILoggerFactory logging = LoggerFactory.Create(b => b
                .AddSimpleConsole(c => c.SingleLine = true)
                .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning));
            var owned = new List<IDisposable>();
            try
            {
                (IReadOnlyList<AifGenerator> generators, IPreferenceJudge judge, string judgeName) = Build(options, logging, owned);
                var runner = new AifRunner(options, generators, judge, judgeName, logging.CreateLogger<AifRunner>());
                AifSummary summary;
                try
                {
                    summary = await RunWithProgressAsync(runner, cancellationToken);
                }
                catch (InvalidOperationException e) when (e is not Zephyr.Alignment.Training.OutputDirectoryInUseException
                    && e.Message.Contains("output folder", StringComparison.OrdinalIgnoreCase))
                {
                    throw new CliInputException(e.Message, e);
                }

                PrintSummary(summary);
                return 0;
            }
            finally
            {
                owned.ForEach(d => d.Dispose());
            }
        });
        return command;
    }

    private static (IReadOnlyList<AifGenerator> Generators, IPreferenceJudge Judge, string JudgeName) Build(AifOptions options, ILoggerFactory logging, List<IDisposable> owned)
    {
        var timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds);
        var backoff = TimeSpan.FromSeconds(options.RetryBaseDelaySeconds);
        ILogger clientLogger = logging.CreateLogger("Zephyr.Alignment.Aif.Clients");

        // One model in memory per folder (and id), however many generators sample it.
        var local = new Dictionary<(string Path, string? Model), LocalChatClient>();
        IChatClient Local(string path, string? modelId)
        {
            if (!local.TryGetValue((path, modelId), out LocalChatClient? client))
            {
                Checkpoint.RequireFolder(path);
                client = LocalChatClient.Load(path, new LocalChatClientOptions { ModelId = modelId ?? new DirectoryInfo(path).Name });
                owned.Add(client);
                local[(path, modelId)] = client;
            }

            return client;
        }

        var generators = options.Generators.Select(g => new AifGenerator(
            g,
            g.ModelPath is { } path ? Local(path, g.Model) : Owned(OpenAICompatibleChatClients.Create(g.Endpoint!, g.Model!, g.ApiKeyVariable, options.MaxRetries, timeout, backoff, clientLogger)))).ToArray();

        TeacherOptions t = options.Teacher;
        IChatClient teacher = t.ModelPath is { } teacherPath
            ? Local(teacherPath, t.Model)
            : Owned(OpenAICompatibleChatClients.Create(t.Endpoint!, t.Model!, t.ApiKeyVariable, options.MaxRetries, timeout, backoff, clientLogger));
        var judge = new ChatPreferenceJudge(
            teacher,
            new ChatPreferenceJudgeOptions { Model = t.Model, Temperature = (float)t.Temperature, MaxOutputTokens = t.MaxNewTokens, MaxAttempts = t.MaxAttempts },
            logging.CreateLogger<ChatPreferenceJudge>());
        string judgeName = $"chat teacher {t.Endpoint ?? t.ModelPath} model {t.Model ?? "(local)"}, temperature {t.Temperature.ToString(CultureInfo.InvariantCulture)}, max tokens {t.MaxNewTokens}, attempts {t.MaxAttempts}";
        return (generators, judge, judgeName);

        IChatClient Owned(IChatClient client)
        {
            owned.Add(client);
            return client;
        }
    }

    private static async Task<AifSummary> RunWithProgressAsync(AifRunner runner, CancellationToken cancellationToken)
    {
        if (!TrainingProgressDisplay.Interactive)
        {
            // Redirected output (CI, files): one line per finished prompt.
            return await runner.RunAsync(new Progress(p => Console.WriteLine(Describe(p))), cancellationToken);
        }

        AifSummary summary = null!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                ProgressTask task = context.AddTask("reading prompts", maxValue: 1);
                summary = await runner.RunAsync(
                    new Progress(p =>
                    {
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                        task.Description = Markup.Escape(Describe(p));
                    }),
                    cancellationToken);
                task.Value = task.MaxValue;
            });
        return summary;
    }

    private static string Describe(AifProgress p) => string.Create(
        CultureInfo.InvariantCulture,
        $"prompts {p.Done}/{p.Total} ({p.Remaining} remaining{(p.Resumed > 0 ? $", {p.Resumed} resumed" : string.Empty)}), failed ratings {p.FailedRatings}, generation failures {p.GenerationFailures}, ETA {(p.Eta is { } eta ? eta.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "?")}");

    private static void PrintSummary(AifSummary s)
    {
        var table = new Table().AddColumn("AIF").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("prompts", s.Prompts.ToString(CultureInfo.InvariantCulture));
        table.AddRow("resumed (already done)", s.Resumed.ToString(CultureInfo.InvariantCulture));
        table.AddRow("pairs", s.Pairs.ToString(CultureInfo.InvariantCulture));
        table.AddRow("dropped", s.DroppedTotal.ToString(CultureInfo.InvariantCulture));
        foreach ((var reason, int count) in s.Dropped.OrderBy(d => d.Key))
        {
            table.AddRow(Markup.Escape($"  {reason}"), count.ToString(CultureInfo.InvariantCulture));
        }

        table.AddRow("failed ratings", s.FailedRatings.ToString(CultureInfo.InvariantCulture));
        table.AddRow("generation failures", s.GenerationFailures.ToString(CultureInfo.InvariantCulture));
        table.AddRow("mean score_chosen", s.MeanChosenScore.ToString("0.###", CultureInfo.InvariantCulture));
        table.AddRow("mean score_rejected", s.MeanRejectedScore.ToString("0.###", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape($"pairs: {s.ParquetFile} and {s.JsonLinesFile}; scored candidates: {s.ScoredFile}"));
    }

    /// <summary>Reports on the calling thread, in order (System.Progress would post to the thread pool).</summary>
    private sealed class Progress(Action<AifProgress> report) : IProgress<AifProgress>
    {
        private readonly Lock _lock = new();

        public void Report(AifProgress value)
        {
            lock (_lock)
            {
                report(value);
            }
        }
    }
}
