using System.Globalization;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Pipeline.World;
using Zephyr.Alignment.Sft;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>
/// dSFT: the demonstrator's answers (habits included, as GPT-3.5-turbo's are in UltraChat) written as an <c>ultrachat_200k</c>-schema file (<c>prompt</c>, <c>prompt_id</c>,
/// <c>messages</c>) and trained with the library's <see cref="SftTrainer"/> from the base checkpoint folder, exactly as the
/// real recipe trains from Mistral-7B on UltraChat: Zephyr chat template, loss on assistant tokens, packing.
/// </summary>
internal static class SftStage
{
    public static async Task<StageResult> RunAsync(
        PipelineContext context, string baseModel, CancellationToken cancellationToken)
    {
        PipelineOptions options = context.Options;
        RunLayout layout = context.Layout;
        string train = Path.Combine(layout.Data, "sft_train.jsonl");
        string eval = Path.Combine(layout.Data, "sft_eval.jsonl");
        JsonLinesFile.Write(train, context.Splits.Sft.Select((t, i) => Demonstration(t, context.SftDemonstrations[i])));
        JsonLinesFile.Write(eval, context.Splits.SftEval.Select((t, i) => Demonstration(t, context.SftEvalDemonstrations[i])));

        var progress = context.Console.Start(StageNames.Dsft, "steps");
        var sft = new SftOptions
        {
            ModelPath = baseModel,
            TrainFile = train,
            EvalFile = eval,
            OutputDirectory = layout.Stage(StageNames.Dsft),
            ChatTemplate = "zephyr",
            MaxLength = options.MaxLength,
            Packing = true,
            LearningRate = options.SftLearningRate,
            NumTrainEpochs = options.SftEpochs,
            PerDeviceTrainBatchSize = options.BatchSize,
            PerDeviceEvalBatchSize = options.BatchSize,
            LoggingSteps = options.LoggingSteps,
            SaveSteps = 0,
            Seed = options.Seed,
            ResumeFromCheckpoint = options.Resume ? "latest" : null,
        };
        var (callbacks, _) = context.TrainingCallbacks(StageNames.Dsft, progress, MetricNames.MeanTokenAccuracy);
        using var trainer = new SftTrainer(
            new HuggingFaceModelLoader(context.Loggers.CreateLogger<HuggingFaceModelLoader>()),
            Microsoft.Extensions.Options.Options.Create(sft),
            Microsoft.Extensions.Options.Options.Create(context.Device),
            callbacks,
            context.Loggers.CreateLogger<SftTrainer>());
        SftDataReport report = await trainer.PrepareAsync(cancellationToken).ConfigureAwait(false);
        progress.Note(string.Create(CultureInfo.InvariantCulture,
            $"{report.Train.Tokenization.Kept} demonstrations in {report.Train.Padding.PackedRows} packed rows (chat template {report.ChatTemplate})"));
        TrainingResult result = await trainer.TrainAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyDictionary<string, double> evaluation = await trainer.EvaluateAsync(cancellationToken).ConfigureAwait(false);
        progress.Finish(string.Create(CultureInfo.InvariantCulture,
            $"{result.GlobalStep} steps, eval_loss {evaluation.GetValueOrDefault("eval_loss"):0.000}, eval_mean_token_accuracy {evaluation.GetValueOrDefault("eval_mean_token_accuracy"):0.000}"));
        return new StageResult(sft.OutputDirectory, new Dictionary<string, double>(evaluation));
    }

    private static object Demonstration(WorldTask task, string answer) => new
    {
        prompt = task.Prompt,
        prompt_id = task.Id,
        messages = new[]
        {
            new { role = "user", content = task.Prompt },
            new { role = "assistant", content = answer },
        },
    };
}
