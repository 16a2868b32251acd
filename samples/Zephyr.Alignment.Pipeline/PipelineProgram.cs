using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Pipeline.Recipe;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.Stages;

namespace Zephyr.Alignment.Pipeline;

/// <summary>The command line: configuration layers, <c>--help</c>, the output-folder rule, exit codes.</summary>
internal static class PipelineProgram
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Cancelled = 130;

    public const string Help = """
        mini-Zephyr: align a small model the Zephyr way (dSFT -> AIF -> dDPO) and show that it worked.

        Usage:
          dotnet run --project samples/Zephyr.Alignment.Pipeline -- [options]

        Options:
          --output DIR          The output folder (default: mini-zephyr-output). A fresh run refuses a folder that holds
                                another run's output.
          --quick               A smoke run (about a minute): a smaller world and model, the same stages and artefacts.
          --resume              Continue an interrupted run in --output: finished stages are kept, training resumes from
                                the last checkpoint. Its settings must be the run's own (settings.json).
          --overwrite           Replace the run in --output (its artefacts are deleted first).
          --recipe FILE         Run the real recipe instead (dSFT -> optional AIF -> dDPO on a Hugging Face checkpoint and
                                local Parquet/JSONL files), configured by FILE; see recipes/zephyr-7b-beta.json.
          --config FILE         One more JSON settings file, layered over appsettings.json.
          --Pipeline:KEY=VALUE  Any setting of appsettings.json's Pipeline section, e.g. --Pipeline:Seed=7
                                (likewise --Recipe:Sft:LearningRate=2e-5 for a recipe).
          -h, --help            This help.

        Settings are read, later ones winning, from appsettings.json (beside the program), appsettings.quick.json (with
        --quick), the --recipe/--config file, environment variables ZEPHYR_<Section>__<Key> (e.g. ZEPHYR_Pipeline__Seed=7),
        and the command line.

        Output (mini run): base/, dsft/, ddpo_only/, dsft_ddpo/ (Hugging Face checkpoints with metrics.jsonl), aif/
        (train_prefs/test_prefs .parquet/.jsonl in the ultrafeedback_binarized schema, scored.jsonl), eval/, runs/
        (TensorBoard), plots/ (PNG), ablation.json, settings.json, report.md.

        Exit codes: 0 done, 2 bad input (settings, output folder in use), 130 cancelled, 1 unexpected failure.
        Tip: on a machine shared with other work, OMP_NUM_THREADS=1 avoids libtorch's threads spinning against each other.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help" or "-?" or "/?"))
        {
            Console.WriteLine(Help);
            return Success;
        }

        IConfiguration configuration;
        string? recipeFile;
        try
        {
            (configuration, recipeFile) = Configure(args);
        }
        catch (Exception exception) when (exception is ArgumentException or FileNotFoundException or InvalidDataException or FormatException)
        {
            Console.Error.WriteLine($"error: {exception.Message}");
            Console.Error.WriteLine("Run with --help for the options.");
            return BadInput;
        }

        using ILoggerFactory loggers = LoggerFactory.Create(builder => builder
            .AddConfiguration(configuration.GetSection("Logging"))
            .AddSimpleConsole(console => console.SingleLine = true));
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C stops after the current step; the training loop writes a checkpoint to resume from.
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            return recipeFile is null
                ? await RunMiniAsync(configuration, loggers, cancellation.Token).ConfigureAwait(false)
                : await RecipeRun.RunAsync(configuration, recipeFile, loggers, cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Console.Error.WriteLine("Cancelled. Run again with --resume to continue.");
            return Cancelled;
        }
        catch (Exception exception) when (exception is OptionsValidationException or OutputDirectoryInUseException or InvalidDataException
            or Zephyr.Alignment.Data.DatasetFormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"error: {exception.Message}");
            return BadInput;
        }
    }

    /// <summary>Builds the configuration layers; returns the recipe file when <c>--recipe</c> was given.</summary>
    public static (IConfiguration Configuration, string? RecipeFile) Configure(string[] args)
    {
        var rest = new List<string>();
        string? recipe = null;
        var extraFiles = new List<string>();
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--resume":
                    rest.Add("--Pipeline:Resume=true");
                    break;
                case "--overwrite":
                    rest.Add("--Pipeline:Overwrite=true");
                    break;
                case "--output":
                    rest.Add("--Pipeline:OutputDirectory=" + Value());
                    break;
                case "--recipe":
                    recipe = Path.GetFullPath(Value());
                    extraFiles.Add(recipe);
                    break;
                case "--config":
                    extraFiles.Add(Path.GetFullPath(Value()));
                    break;
                default:
                    if (!args[i].StartsWith("--", StringComparison.Ordinal) && !(rest.Count > 0 && rest[^1].StartsWith("--", StringComparison.Ordinal) && !rest[^1].Contains('=')))
                    {
                        throw new ArgumentException($"Unknown argument '{args[i]}'.");
                    }

                    rest.Add(args[i]);
                    break;
            }
        }

        foreach (string file in extraFiles.Where(f => !File.Exists(f)))
        {
            throw new FileNotFoundException($"The settings file '{file}' does not exist.", file);
        }

        var builder = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: false);
        if (quick)
        {
            builder.AddJsonFile("appsettings.quick.json", optional: false);
        }

        foreach (string file in extraFiles)
        {
            builder.AddJsonFile(file, optional: false);
        }

        builder.AddEnvironmentVariables("ZEPHYR_").AddCommandLine([.. rest]);
        return (builder.Build(), recipe);
    }

    private static async Task<int> RunMiniAsync(IConfiguration configuration, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        PipelineOptions options = configuration.GetSection("Pipeline").Get<PipelineOptions>() ?? new PipelineOptions();
        ValidateOptionsResult validation = new PipelineOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(nameof(PipelineOptions), typeof(PipelineOptions), validation.Failures);
        }

        var layout = new RunLayout(options.OutputDirectory);
        OutputDirectoryMode mode = options.Overwrite ? OutputDirectoryMode.Overwrite : options.Resume ? OutputDirectoryMode.Resume : OutputDirectoryMode.New;
        foreach (string removed in OutputDirectoryGuard.Claim(
            layout.Root, MiniZephyrRun.Artefacts.Select(a => Path.Combine(layout.Root, a)), mode,
            resumeHint: "pass --resume", overwriteHint: "pass --overwrite"))
        {
            PipelineConsole.WriteLine($"--overwrite: removed {removed}");
        }

        RunSettingsFile.Claim(layout, options);
        PipelineConsole.WriteLine($"mini-Zephyr → {layout.Root}");
        var console = new PipelineConsole();
        var context = new PipelineContext(options, layout, console, loggers);
        RunReport report = await console.RunAsync(() => MiniZephyrRun.RunAsync(context, cancellationToken)).ConfigureAwait(false);
        report.PrintSummary();
        return Success;
    }
}
