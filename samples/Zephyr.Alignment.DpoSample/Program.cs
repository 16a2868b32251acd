// A console app that uses Zephyr.Alignment as any application would: options from appsettings.json, the library
// registered in a service collection, and a DPO run on a small preference file starting from a tiny Llama checkpoint.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment;
using Zephyr.Alignment.DpoSample;
using Zephyr.Alignment.Dpo;

IConfiguration configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: false)
    .Build();

var services = new ServiceCollection();
services.AddLogging(logging => logging
    .AddSimpleConsole(console => console.SingleLine = true)
    .SetMinimumLevel(configuration.GetValue("Logging:MinimumLevel", LogLevel.Warning)));
services.AddSingleton<ITrainingCallback>(new MetricsTable(Console.Out));
services.AddZephyrAlignment(configuration.GetSection("Zephyr:Device"))
    .AddHuggingFaceModels()
    .AddDpo(configuration.GetSection("Zephyr:Dpo"), options =>
    {
        // The checkpoint and data are copied beside the app; relative paths in appsettings.json mean "beside the app".
        options.ModelPath = BesideApp(options.ModelPath);
        options.TrainFile = BesideApp(options.TrainFile);
        options.EvalFile = BesideApp(options.EvalFile);
        options.OutputDirectory = BesideApp(options.OutputDirectory)!;
        options.RefLogProbsCacheDirectory = BesideApp(options.RefLogProbsCacheDirectory);
    });

using ServiceProvider provider = services.BuildServiceProvider();
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C stops after the current step; the loop writes a checkpoint to resume from.
    e.Cancel = true;
    cancellation.Cancel();
};

var trainer = provider.GetRequiredService<DpoTrainer>();
DpoOptions dpo = trainer.Options;
Console.WriteLine($"DPO of {dpo.ModelPath}");
Console.WriteLine($"on {dpo.TrainFile}: loss {trainer.Loss.Name}, beta {dpo.Beta}, learning rate {dpo.LearningRate}, " +
    $"batch {dpo.PerDeviceTrainBatchSize}, max length {dpo.MaxLength}, precomputed reference log-probs: {dpo.PrecomputeRefLogProbs}");
Console.WriteLine();

TrainingResult result = await trainer.TrainAsync(cancellation.Token);

Console.WriteLine();
Console.WriteLine($"{result.GlobalStep} steps, {trainer.TrainDataset!.Count} preference pairs; model written to {result.OutputDirectory}");
Console.WriteLine($"metrics: {Path.Combine(dpo.OutputDirectory, "metrics.jsonl")}");
return 0;

static string? BesideApp(string? path)
    => path is null || Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);
