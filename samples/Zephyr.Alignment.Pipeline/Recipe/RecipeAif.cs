using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Candidates;
using Zephyr.Alignment.Aif.Clients;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Pipeline.Recipe;

/// <summary>
/// The recipe's optional AIF stage: the AIF package's <see cref="AifRunner"/> with <see cref="IChatClient"/> generators
/// (OpenAI-compatible endpoints, or local checkpoints as <see cref="LocalChatClient"/>) and a teacher behind
/// <see cref="ChatPreferenceJudge"/>; its <c>train_prefs.parquet</c> becomes dDPO's training file.
/// </summary>
internal static class RecipeAif
{
    public static async Task<AifSummary> RunAsync(
        AifOptions options, TorchDeviceOptions device, PipelineConsole console, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        TimeSpan timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds);
        TimeSpan delay = TimeSpan.FromSeconds(options.RetryBaseDelaySeconds);
        ILogger logger = loggers.CreateLogger("aif");
        var owned = new List<IDisposable>();
        try
        {
            IChatClient Client(string? endpoint, string? model, string? modelPath, string? apiKeyVariable, string what)
            {
                if (endpoint is not null)
                {
                    return OpenAICompatibleChatClients.Create(endpoint, model ?? throw new InvalidDataException($"{what} has an Endpoint but no Model."),
                        apiKeyVariable, options.MaxRetries, timeout, delay, logger);
                }

                var local = LocalChatClient.Load(modelPath ?? throw new InvalidDataException($"{what} needs an Endpoint and Model, or a ModelPath."),
                    new LocalChatClientOptions { ModelId = Path.GetFileName(modelPath) }, ModelLoadOptions.From(device));
                owned.Add(local);
                return local;
            }

            AifGenerator[] generators = [.. options.Generators.Select(g => new AifGenerator(g, Client(g.Endpoint, g.Model, g.ModelPath, g.ApiKeyVariable, $"Generator '{g.Name}'")))];
            TeacherOptions teacher = options.Teacher;
            var judge = new ChatPreferenceJudge(
                Client(teacher.Endpoint, teacher.Model, teacher.ModelPath, teacher.ApiKeyVariable, "The teacher"),
                new ChatPreferenceJudgeOptions { Model = teacher.Model, MaxAttempts = teacher.MaxAttempts, Temperature = (float)teacher.Temperature, MaxOutputTokens = teacher.MaxNewTokens },
                loggers.CreateLogger<ChatPreferenceJudge>());
            var runner = new AifRunner(options, generators, judge, teacher.Endpoint is null ? $"local {teacher.ModelPath}" : $"{teacher.Endpoint} {teacher.Model}", loggers.CreateLogger<AifRunner>());

            StageProgress progress = console.Start("aif", "prompts");
            var report = new Progress<AifProgress>(p =>
            {
                progress.SetTotal(p.Total);
                progress.Report(p.Done, string.Create(CultureInfo.InvariantCulture, $"failed ratings {p.FailedRatings}, generation failures {p.GenerationFailures}"));
            });
            AifSummary summary = await runner.RunAsync(report, cancellationToken).ConfigureAwait(false);
            progress.Finish(string.Create(CultureInfo.InvariantCulture,
                $"{summary.Prompts} prompts → {summary.Pairs} pairs, {summary.DroppedTotal} dropped, {summary.FailedRatings} failed ratings; mean score chosen {summary.MeanChosenScore:0.00}, rejected {summary.MeanRejectedScore:0.00}"));
            return summary;
        }
        finally
        {
            foreach (IDisposable client in owned)
            {
                client.Dispose();
            }
        }
    }
}
