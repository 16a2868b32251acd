using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary><c>zephyr sft</c>: supervised fine-tuning on teacher dialogues from a conversation file and a checkpoint folder.</summary>
internal static class SftCommand
{
    public static Command Create() => TrainingCommand.Create<SftOptions>(
        "sft",
        "Train with SFT (dSFT): ModelPath (the base checkpoint), TrainFile (ultrachat_200k Parquet/JSONL or {prompt, completion} JSONL), " +
        "optional EvalFile, OutputDirectory; loss on assistant tokens only and packing by default; defaults are the Zephyr dSFT recipe (lr 2e-5, cosine, warmup 0.1, 1 epoch, max length 2048).",
        MetricNames.MeanTokenAccuracy,
        (builder, configure) => builder.AddSft(configure),
        (options, resolve) =>
        {
            options.ModelPath = resolve(options.ModelPath);
            options.LoraAdapterPath = resolve(options.LoraAdapterPath);
            options.TrainFile = resolve(options.TrainFile);
            options.EvalFile = resolve(options.EvalFile);
        },
        provider => provider.GetRequiredService<SftTrainer>());
}
