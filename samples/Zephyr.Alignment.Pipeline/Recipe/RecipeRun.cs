using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.Stages;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Sft;

namespace Zephyr.Alignment.Pipeline.Recipe;

/// <summary>
/// The same program on the real recipe: a Hugging Face checkpoint and local UltraChat / UltraFeedback files (Parquet or
/// JSONL, as the Hub serves them) go through dSFT → dDPO with the library's trainers, the same progress display, TensorBoard
/// run folders and metrics files as the mini run. The preference file can be the Hub's <c>ultrafeedback_binarized</c> or the
/// output of the library's AIF stage (<c>zephyr aif</c>, any <c>IChatClient</c> generators and teacher).
/// </summary>
internal static class RecipeRun
{
    public static async Task<int> RunAsync(IConfiguration configuration, string recipeFile, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        RecipeOptions recipe = configuration.GetSection("Recipe").Get<RecipeOptions>()
            ?? throw new InvalidDataException($"'{recipeFile}' has no \"Recipe\" section.");
        TorchDeviceOptions device = configuration.GetSection("Zephyr:Device").Get<TorchDeviceOptions>() ?? new TorchDeviceOptions();
        bool resume = configuration.GetValue("Pipeline:Resume", false);
        bool overwrite = configuration.GetValue("Pipeline:Overwrite", false);
        string Beside(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(path, Path.GetDirectoryName(recipeFile)!);

        var failures = new List<string>();
        if (recipe.SftModelPath is null && string.IsNullOrWhiteSpace(recipe.ModelPath))
        {
            failures.Add("Recipe:ModelPath must name the base model's checkpoint folder (or set Recipe:SftModelPath to skip dSFT).");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("Recipe", typeof(RecipeOptions), failures);
        }

        // Relative paths in a recipe file are relative to the file, so a recipe travels with its data.
        string output = Beside(recipe.OutputDirectory);
        SftOptions sft = recipe.Sft;
        sft.ModelPath = recipe.ModelPath is null ? null : Beside(recipe.ModelPath);
        sft.TrainFile = sft.TrainFile is null ? null : Beside(sft.TrainFile);
        sft.EvalFile = sft.EvalFile is null ? null : Beside(sft.EvalFile);
        sft.OutputDirectory = Path.Combine(output, StageNames.Dsft);
        DpoOptions dpo = recipe.Dpo;
        dpo.ModelPath = recipe.SftModelPath is null ? sft.OutputDirectory : Beside(recipe.SftModelPath);
        dpo.TrainFile = dpo.TrainFile is null ? null : Beside(dpo.TrainFile);
        dpo.EvalFile = dpo.EvalFile is null ? null : Beside(dpo.EvalFile);
        dpo.OutputDirectory = Path.Combine(output, StageNames.DsftDdpo);
        bool runAif = !string.IsNullOrWhiteSpace(recipe.Aif.PromptsFile);
        if (runAif)
        {
            recipe.Aif.PromptsFile = Beside(recipe.Aif.PromptsFile);
            recipe.Aif.OutputDirectory = Path.Combine(output, StageNames.Aif);
            recipe.Aif.OverwriteOutputDirectory |= overwrite;
            foreach (var generator in recipe.Aif.Generators.Where(g => g.ModelPath is not null))
            {
                // A generator may be the dSFT model of this very run.
                generator.ModelPath = generator.ModelPath == "dsft" ? sft.OutputDirectory : Beside(generator.ModelPath!);
            }

            if (recipe.Aif.Teacher.ModelPath is { } teacherPath)
            {
                recipe.Aif.Teacher.ModelPath = Beside(teacherPath);
            }
        }
        else if (dpo.TrainFile is null)
        {
            failures.Add("Recipe:Dpo:TrainFile must name the preference file (e.g. ultrafeedback_binarized train_prefs), or Recipe:Aif:PromptsFile must be set to make one.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException("Recipe", typeof(RecipeOptions), failures);
        }

        foreach (var stage in new Training.TrainingOptions[] { sft, dpo })
        {
            stage.ResumeFromCheckpoint = resume ? "latest" : stage.ResumeFromCheckpoint;
            stage.OverwriteOutputDirectory |= overwrite;
        }

        var console = new PipelineConsole();
        PipelineConsole.WriteLine($"Zephyr recipe → {output} on {device.Device} ({device.DType})");
        var loader = new HuggingFaceModelLoader(loggers.CreateLogger<HuggingFaceModelLoader>());
        return await console.RunAsync(async () =>
        {
            if (recipe.SftModelPath is null)
            {
                var progress = console.Start(StageNames.Dsft, "steps");
                var callbacks = new ITrainingCallback[] { new TrainingProgressCallback(progress, MetricNames.MeanTokenAccuracy), new TensorBoardCallback(Path.Combine(output, "runs", StageNames.Dsft)) };
                using var trainer = new SftTrainer(loader, Options.Create(sft), Options.Create(device), callbacks, loggers.CreateLogger<SftTrainer>());
                TrainingResult result = await trainer.TrainAsync(cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                progress.Finish(string.Create(CultureInfo.InvariantCulture, $"{result.GlobalStep} steps, loss {result.Metrics.GetValueOrDefault(MetricNames.Loss):0.000}; model in {result.OutputDirectory}"));
            }

            if (runAif)
            {
                Aif.Running.AifSummary aif = await RecipeAif.RunAsync(recipe.Aif, device, console, loggers, cancellationToken).ConfigureAwait(false);
                dpo.TrainFile = aif.ParquetFile;
            }

            {
                var progress = console.Start(StageNames.DsftDdpo, "steps");
                var callbacks = new ITrainingCallback[] { new TrainingProgressCallback(progress, MetricNames.RewardsAccuracies), new TensorBoardCallback(Path.Combine(output, "runs", StageNames.DsftDdpo)) };
                using var trainer = new DpoTrainer(dpo, device, loader, loss: null, callbacks, loggers);
                TrainingResult result = await trainer.TrainAsync(cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                string evaluation = "";
                if (dpo.EvalFile is not null)
                {
                    IReadOnlyDictionary<string, double> metrics = await trainer.EvaluateAsync(cancellationToken).ConfigureAwait(false);
                    evaluation = string.Create(CultureInfo.InvariantCulture,
                        $"; held-out eval_rewards/accuracies {metrics.GetValueOrDefault(MetricNames.Eval(MetricNames.RewardsAccuracies)):0.000}, eval_rewards/margins {metrics.GetValueOrDefault(MetricNames.Eval(MetricNames.RewardsMargins)):0.000}");
                }

                progress.Finish(string.Create(CultureInfo.InvariantCulture, $"{result.GlobalStep} steps{evaluation}; model in {result.OutputDirectory}"));
            }

            return PipelineProgram.Success;
        }).ConfigureAwait(false);
    }
}
