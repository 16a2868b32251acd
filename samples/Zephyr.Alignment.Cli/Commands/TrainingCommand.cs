using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// The shape every training command shares (<c>zephyr sft</c>, <c>zephyr dpo</c>): <c>--config FILE.json|.yaml</c> plus
/// <c>--key value</c> overrides, the library registered through DI as an application would, a progress display,
/// and the final model in the output folder. Ctrl+C stops after the current optimizer step and keeps a checkpoint.
/// </summary>
internal static class TrainingCommand
{
    /// <param name="name">The command name.</param>
    /// <param name="description">The help text.</param>
    /// <param name="headlineMetric">The metric shown beside the loss while training.</param>
    /// <param name="register">Registers the stage (e.g. <c>AddDpo</c>) with the bound options applied.</param>
    /// <param name="resolvePaths">Makes the option paths absolute, relative to the config file's folder.</param>
    /// <param name="resolveTrainer">Resolves the stage's trainer.</param>
    public static Command Create<TOptions>(
        string name,
        string description,
        string headlineMetric,
        Action<IZephyrAlignmentBuilder, Action<TOptions>> register,
        Action<TOptions, Func<string?, string?>> resolvePaths,
        Func<IServiceProvider, ITrainer> resolveTrainer)
        where TOptions : TrainingOptions, new()
    {
        var config = new Option<FileInfo>("--config", "-c")
        {
            Description = "JSON or YAML file of options (the stage's option names, TRL's spellings such as learning_rate, or an alignment-handbook " +
                "recipe as published); relative paths in it are relative to the file. Add Device/DType for the policy's device.",
            Required = true,
        };
        var dataset = new Option<string[]>("--dataset")
        {
            Description = "Where a Hub dataset named by the recipe (dataset_mixer, dataset_name) is on disk: ID=FOLDER (holding SPLIT.parquet or .jsonl) " +
                "or ID:SPLIT=FILE; repeatable. Nothing is downloaded.",
            AllowMultipleArgumentsPerToken = false,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log the library's informational messages too." };
        var validateOnly = new Option<bool>("--validate-only")
        {
            Description = "Read, map and validate the configuration (files must exist), print the resolved options as JSON, and exit without training.",
        };
        var command = new Command(name, description + " Any other --key value pair overrides the config file (e.g. --learning_rate 1e-6).")
        {
            config,
            dataset,
            verbose,
            validateOnly,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            FileInfo file = parse.GetValue(config)!;
            TrainingConfiguration settings = TrainingConfiguration.Load(file, parse.UnmatchedTokens, parse.GetValue(dataset) ?? [], typeof(TOptions));
            TOptions options = settings.Bind(new TOptions(), device: false);
            TorchDeviceOptions device = settings.Bind(new TorchDeviceOptions(), device: true);
            string baseDirectory = file.DirectoryName ?? Directory.GetCurrentDirectory();
            resolvePaths(options, path => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path, baseDirectory));
            options.OutputDirectory = Path.GetFullPath(options.OutputDirectory, baseDirectory);

            var display = new TrainingProgressDisplay(headlineMetric);
            var services = new ServiceCollection();
            services.AddLogging(logging => logging
                .AddSimpleConsole(console => console.SingleLine = true)
                .SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning));
            services.AddSingleton<ITrainingCallback>(display);
            IZephyrAlignmentBuilder builder = services.AddZephyrAlignment(o =>
            {
                o.Device = device.Device;
                o.DType = device.DType;
                o.AllowCpuFallback = device.AllowCpuFallback;
            }).AddHuggingFaceModels();
            register(builder, target => TrainingConfiguration.CopyInto(options, target));

            await using ServiceProvider provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
            ILogger configLog = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Zephyr.Alignment.Cli.Configuration");
            foreach (string warning in settings.Warnings)
            {
                // With --validate-only, stdout holds only the options' JSON.
                if (parse.GetValue(validateOnly))
                {
                    await Console.Error.WriteLineAsync($"zephyr: warning: {warning}");
                }
                else
                {
                    CliLog.ConfigurationWarning(configLog, warning);
                }
            }

            ITrainer trainer;
            try
            {
                if (parse.GetValue(validateOnly))
                {
                    TOptions resolved = provider.GetRequiredService<IOptions<TOptions>>().Value;
                    Console.WriteLine(JsonSerializer.Serialize(resolved, resolved.GetType(), new JsonSerializerOptions { WriteIndented = true }));
                    return 0;
                }

                trainer = resolveTrainer(provider);
            }
            catch (OptionsValidationException e)
            {
                // Say where each bad value came from: the config file or the command line.
                throw new CliInputException(string.Join(" ", e.Failures.Select(settings.Annotate)), e);
            }

            TrainingResult result = await display.RunAsync(() => trainer.TrainAsync(cancellationToken));
            PrintSummary(result, cancellationToken.IsCancellationRequested);
            return cancellationToken.IsCancellationRequested ? 130 : 0;
        });
        return command;
    }

    private static void PrintSummary(TrainingResult result, bool cancelled)
    {
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        foreach ((string metric, double value) in result.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(metric), value.ToString("G6", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        string state = cancelled ? "stopped early; the last checkpoint is in the output folder" : "finished";
        AnsiConsole.MarkupLine(Markup.Escape($"{state} at step {result.GlobalStep}, epoch {result.Epoch:0.00}; model: {result.OutputDirectory ?? "(none)"}"));
    }
}
