using System.Globalization;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>
/// dDPO with the library's <see cref="DpoTrainer"/> on the AIF <c>train_prefs</c> file, from a checkpoint folder that is
/// also the frozen reference (its log-probabilities precomputed once, "no additional sampling during fine-tuning"), and
/// evaluated on the held-out <c>test_prefs</c>. Run from the dSFT model it is Zephyr's dDPO; from the base model it is the
/// paper's "dDPO without dSFT" ablation.
/// </summary>
internal static class DpoStage
{
    public static async Task<StageResult> RunAsync(
        PipelineContext context, string name, string startModel, AifStage.Summary aif, CancellationToken cancellationToken)
    {
        PipelineOptions options = context.Options;
        var progress = context.Console.Start(name, "steps");
        var dpo = new DpoOptions
        {
            ModelPath = startModel,
            TrainFile = aif.TrainFile,
            EvalFile = aif.TestFile,
            OutputDirectory = context.Layout.Stage(name),
            ChatTemplate = "zephyr",
            Beta = options.Beta,
            LossType = options.DpoLossTypes.Count == 0 ? null : [.. options.DpoLossTypes],
            LossWeights = options.DpoLossWeights.Count == 0 ? null : [.. options.DpoLossWeights],
            LearningRate = options.DpoLearningRate,
            NumTrainEpochs = options.DpoEpochs,
            PerDeviceTrainBatchSize = options.DpoBatchSize,
            PerDeviceEvalBatchSize = options.DpoBatchSize,
            MaxLength = options.MaxLength,
            MaxPromptLength = options.MaxLength / 2,
            PrecomputeRefLogProbs = true,
            LoggingSteps = options.LoggingSteps,
            // Held-out points on the reward curves (test_prefs is small, so this is cheap).
            EvalSteps = 2 * options.LoggingSteps,
            SaveSteps = 0,
            Seed = options.Seed,
            ResumeFromCheckpoint = options.Resume ? "latest" : null,
        };
        var (callbacks, tensorBoard) = context.TrainingCallbacks(name, progress, MetricNames.RewardsAccuracies);
        using var trainer = new DpoTrainer(
            dpo, context.Device, new HuggingFaceModelLoader(), loss: null, callbacks, context.Loggers);
        TrainingResult result = await trainer.TrainAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        IReadOnlyDictionary<string, double> evaluation = await trainer.EvaluateAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (metric, value) in evaluation)
        {
            tensorBoard.Add(metric, value, checked((int)result.GlobalStep));
        }

        progress.Finish(string.Create(CultureInfo.InvariantCulture,
            $"{result.GlobalStep} steps on {trainer.TrainDataset!.Count} pairs; held-out eval_rewards/accuracies {evaluation.GetValueOrDefault(MetricNames.Eval(MetricNames.RewardsAccuracies)):0.000}, " +
            $"eval_rewards/margins {evaluation.GetValueOrDefault(MetricNames.Eval(MetricNames.RewardsMargins)):0.000}"));
        return new StageResult(dpo.OutputDirectory, new Dictionary<string, double>(evaluation));
    }
}
