using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.World;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>What every stage of a mini-Zephyr run shares.</summary>
internal sealed class PipelineContext(PipelineOptions options, RunLayout layout, PipelineConsole console, ILoggerFactory loggers)
{
    private Demonstrator? demonstrator;
    private List<string>? sftDemonstrations;
    private List<string>? sftEvalDemonstrations;

    public PipelineOptions Options { get; } = options;

    public RunLayout Layout { get; } = layout;

    public PipelineConsole Console { get; } = console;

    public ILoggerFactory Loggers { get; } = loggers;

    public ProgrammaticTeacher Teacher { get; } = new();

    public WorldSplits Splits { get; } = new(options);

    /// <summary>The demonstrations of the dSFT split (one per task of <see cref="WorldSplits.Sft"/>), written once.</summary>
    public IReadOnlyList<string> SftDemonstrations => sftDemonstrations ??= Demonstrator.Demonstrate(Splits.Sft, Options.Seed + 5);

    /// <summary>The demonstrations of the held-out dSFT evaluation split (one per task of <see cref="WorldSplits.SftEval"/>).</summary>
    public IReadOnlyList<string> SftEvalDemonstrations => sftEvalDemonstrations ??= Demonstrator.Demonstrate(Splits.SftEval, Options.Seed + 6);

    /// <summary>The weaker assistant that writes the dSFT demonstrations.</summary>
    public Demonstrator Demonstrator => demonstrator ??= new(Teacher, Options.DemonstratorPreambleRate, Options.DemonstratorMadeUpAnswerRate);

    /// <summary>Everything runs on the CPU in float32 (the mini run is meant for any machine).</summary>
    public TorchDeviceOptions Device { get; } = new() { Device = "cpu", DType = "float32" };

    /// <summary>Callbacks of a training stage: progress on the console and a TensorBoard run folder.</summary>
    public (ITrainingCallback[] Callbacks, TensorBoardCallback TensorBoard) TrainingCallbacks(string stage, StageProgress progress, string? headline = null)
    {
        var tensorBoard = new TensorBoardCallback(Path.Combine(Layout.Runs, stage));
        return ([new TrainingProgressCallback(progress, headline), tensorBoard], tensorBoard);
    }
}
