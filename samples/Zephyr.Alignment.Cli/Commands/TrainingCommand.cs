using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// The shape every training command shares (<c>zephyr sft</c>, <c>zephyr dpo</c>): <c>--config FILE.json</c> plus
/// <c>--key value</c> overrides, the library registered through DI as an application would, a progress display,
/// and the final model in the output folder. Ctrl+C stops after the current optimizer step and keeps a checkpoint.
/// </summary>
internal static class TrainingCommand
{
    /// <summary>Configuration keys that choose the policy's device rather than a trainer option.</summary>
    private static readonly string[] DeviceKeys = ["device", "dtype", "allowcpufallback"];

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
            Description = "JSON file of options (the stage's option names, or TRL's spellings such as learning_rate); " +
                "relative paths in it are relative to the file. Add Device/DType for the policy's device.",
            Required = true,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log the library's informational messages too." };
        var command = new Command(name, description + " Any other --key value pair overrides the config file (e.g. --learning_rate 1e-6).")
        {
            config,
            verbose,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            FileInfo file = parse.GetValue(config)!;
            IConfiguration settings = TrainingConfiguration.Load(file, parse.UnmatchedTokens);
            (IConfiguration deviceSettings, IConfiguration stageSettings) = Split(settings);
            TOptions options = TrainingConfiguration.Bind(stageSettings, new TOptions(), file.Name);
            TorchDeviceOptions device = TrainingConfiguration.Bind(deviceSettings, new TorchDeviceOptions(), file.Name);
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
            ITrainer trainer = resolveTrainer(provider);
            TrainingResult result = await display.RunAsync(() => trainer.TrainAsync(cancellationToken));
            PrintSummary(result, cancellationToken.IsCancellationRequested);
            return cancellationToken.IsCancellationRequested ? 130 : 0;
        });
        return command;
    }

    private static (IConfiguration Device, IConfiguration Stage) Split(IConfiguration settings)
    {
        var device = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var stage = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in settings.AsEnumerable())
        {
            if (value is not null)
            {
                (DeviceKeys.Contains(key, StringComparer.OrdinalIgnoreCase) ? device : stage)[key] = value;
            }
        }

        return (new ConfigurationBuilder().AddInMemoryCollection(device).Build(), new ConfigurationBuilder().AddInMemoryCollection(stage).Build());
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
