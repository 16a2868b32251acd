using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary><c>zephyr dpo</c>: direct preference optimisation from a preference file and a checkpoint folder.</summary>
internal static class DpoCommand
{
    public static Command Create() => TrainingCommand.Create<DpoOptions>(
        "dpo",
        "Train with DPO (dDPO): ModelPath (the dSFT checkpoint, also the frozen reference), TrainFile (ultrafeedback_binarized Parquet/JSONL " +
        "or {prompt, chosen, rejected} JSONL), optional EvalFile, OutputDirectory; defaults are the Zephyr-7B-beta recipe (beta 0.01, lr 5e-7, cosine, warmup 0.1).",
        MetricNames.RewardsAccuracies,
        (builder, configure) => builder.AddDpo(configure),
        (options, resolve) =>
        {
            options.ModelPath = resolve(options.ModelPath);
            options.LoraAdapterPath = resolve(options.LoraAdapterPath);
            options.ReferenceModelPath = resolve(options.ReferenceModelPath);
            options.TrainFile = resolve(options.TrainFile);
            options.EvalFile = resolve(options.EvalFile);
            options.RefLogProbsCacheDirectory = resolve(options.RefLogProbsCacheDirectory);
        },
        provider => provider.GetRequiredService<DpoTrainer>());
}
