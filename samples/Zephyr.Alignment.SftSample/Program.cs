// dSFT on a small conversation file with the tiny-llama test model: options from appsettings.json, services from DI,
// progress on the console. Runs in seconds on a CPU; point Sft:ModelPath and Sft:TrainFile at a real checkpoint and
// ultrachat_200k for the real thing.
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.SftSample;

IConfiguration configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json")
    .Build();

var services = new ServiceCollection()
    .AddLogging(logging => logging.AddConfiguration(configuration.GetSection("Logging")).AddSimpleConsole(o => o.SingleLine = true))
    .AddSingleton<ITrainingCallback, ConsoleProgress>();
services.AddZephyrAlignment(configuration.GetSection("Zephyr:Device"))
    .AddHuggingFaceModels()
    .AddSft(configuration.GetSection("Sft"));

// The relative paths of appsettings.json are relative to this program, wherever it is started from.
services.PostConfigure<SftOptions>(options =>
{
    options.ModelPath = FromHere(options.ModelPath);
    options.TrainFile = FromHere(options.TrainFile);
    options.EvalFile = FromHere(options.EvalFile);
    options.OutputDirectory = FromHere(options.OutputDirectory)!;
});

await using ServiceProvider provider = services.BuildServiceProvider();
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops after the current step and saves a checkpoint to resume from.
    e.Cancel = true;
    cancellation.Cancel();
};

using SftTrainer trainer = provider.GetRequiredService<SftTrainer>();
SftDataReport data = await trainer.PrepareAsync(cancellation.Token);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Chat template {data.ChatTemplate}; {data.Train.Tokenization.Kept} training examples ({data.Train.Tokenization.Truncated} truncated) " +
    $"in {data.Train.Padding.PackedRows} packed rows; padding {data.Train.Padding.UnpackedPaddingFraction:P1} unpacked → " +
    $"{data.Train.Padding.PackedPaddingFraction:P1} packed ({data.Train.Padding.PaddingFractionSaved:P1} of all positions saved)"));

TrainingResult result = await trainer.TrainAsync(cancellation.Token);
IReadOnlyDictionary<string, double> evaluation = await trainer.EvaluateAsync(cancellation.Token);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Done at step {result.GlobalStep}: eval_loss {evaluation["eval_loss"]:G4}, eval_perplexity {evaluation["eval_perplexity"]:G4}, " +
    $"eval_mean_token_accuracy {evaluation["eval_mean_token_accuracy"]:G4}"));
Console.WriteLine($"Model: {result.OutputDirectory} (try: zephyr generate --model \"{result.OutputDirectory}\" ...)");
return 0;

static string? FromHere(string? path) => path is null || Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);
