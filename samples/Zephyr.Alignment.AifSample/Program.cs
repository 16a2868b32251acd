// The middle stage of Zephyr, end to end on a laptop: prompts -> candidates from one local model at two temperatures
// -> a rule-based teacher -> binarized preference pairs (ultrafeedback_binarized Parquet) -> a few dDPO steps on them.
// Everything is registered in a service collection, as an application would.
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment;
using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.AifSample;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models.Generation;

IConfiguration configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: false)
    .Build();

// One model in memory, sampled by two generators ("tiny-cold" and "tiny-hot") with their own settings.
using LocalChatClient policy = LocalChatClient.Load(BesideApp("model")!, new LocalChatClientOptions { ModelId = "tiny" });

var services = new ServiceCollection();
services.AddLogging(logging => logging
    .AddSimpleConsole(console => console.SingleLine = true)
    .SetMinimumLevel(configuration.GetValue("Logging:MinimumLevel", LogLevel.Warning)));
services.AddKeyedSingleton<IChatClient>("tiny-cold", policy);
services.AddKeyedSingleton<IChatClient>("tiny-hot", policy);
services.AddSingleton<IPreferenceJudge, ReadabilityJudge>();
services.AddZephyrAlignment(configuration.GetSection("Zephyr:Device"))
    .AddHuggingFaceModels()
    .AddAif(configuration.GetSection("Zephyr:Aif"), options =>
    {
        options.PromptsFile = BesideApp(options.PromptsFile)!;
        options.OutputDirectory = BesideApp(options.OutputDirectory)!;
    })
    .AddDpo(configuration.GetSection("Zephyr:Dpo"), options =>
    {
        options.ModelPath = BesideApp(options.ModelPath);
        options.OutputDirectory = BesideApp(options.OutputDirectory)!;
        options.TrainFile = Path.Combine(BesideApp(configuration["Zephyr:Aif:OutputDirectory"] ?? "aif-out")!, "train_prefs.parquet");
    });

using ServiceProvider provider = services.BuildServiceProvider();
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Ctrl+C: finished prompts stay in scored.jsonl and the next run resumes from them.
    e.Cancel = true;
    cancellation.Cancel();
};

Console.WriteLine("AIF: candidates from tiny-cold (T=0.3) and tiny-hot (T=1.2, 2 samples), rated by a rule-based teacher");
AifSummary aif = await provider.GetRequiredService<AifRunner>().RunAsync(
    new Progress<AifProgress>(p => Console.WriteLine($"  prompts {p.Done}/{p.Total}, failed ratings {p.FailedRatings}, ETA {p.Eta:mm\\:ss}")),
    cancellation.Token);
Console.WriteLine($"  {aif.Pairs} pairs from {aif.Prompts} prompts ({aif.DroppedTotal} dropped); mean score chosen {aif.MeanChosenScore:0.00}, rejected {aif.MeanRejectedScore:0.00}");
Console.WriteLine($"  {aif.ParquetFile}");
Console.WriteLine();

var trainer = provider.GetRequiredService<DpoTrainer>();
Console.WriteLine($"dDPO: {trainer.Options.MaxSteps} steps on {trainer.Options.TrainFile}");
TrainingResult result = await trainer.TrainAsync(cancellation.Token);
Console.WriteLine($"  loss {result.Metrics.GetValueOrDefault("loss"):0.0000}, rewards/accuracies {result.Metrics.GetValueOrDefault("rewards/accuracies"):0.00} after {result.GlobalStep} steps; model in {result.OutputDirectory}");
return 0;

static string? BesideApp(string? path)
    => path is null || Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);
