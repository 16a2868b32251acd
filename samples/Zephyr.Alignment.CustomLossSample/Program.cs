// "Custom trainers against interfaces": a preference loss of our own (MarginSigmoidLoss, an ILossFunction) plugged into
// the library's DPO trainer, using only the packages' public API. Runs in seconds on the tiny test checkpoint; point
// ModelPath and TrainFile at a dSFT model and ultrafeedback_binarized for the real thing.
using System.Globalization;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment;
using Zephyr.Alignment.CustomLossSample;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;

string here = AppContext.BaseDirectory;
var options = new DpoOptions
{
    ModelPath = Path.Combine(here, "model"),
    TrainFile = Path.Combine(here, "data", "prefs.jsonl"),
    EvalFile = Path.Combine(here, "data", "prefs.jsonl"),
    OutputDirectory = args.Length > 0 ? args[0] : Path.Combine(here, "output"),
    OverwriteOutputDirectory = true,
    ChatTemplate = "zephyr",
    LearningRate = 5e-4,
    NumTrainEpochs = 1,
    PerDeviceTrainBatchSize = 8,
    MaxLength = 128,
    MaxPromptLength = 64,
    LoggingSteps = 2,
    SaveSteps = 0,
    PrecomputeRefLogProbs = true,
};
ILossFunction loss = new MarginSigmoidLoss(beta: 0.1, margin: 0.5);

using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
using var trainer = new DpoTrainer(options, new TorchDeviceOptions { Device = "cpu", DType = "float32" }, new HuggingFaceModelLoader(), loss, loggerFactory: loggers);
IReadOnlyDictionary<string, double> before = await trainer.EvaluateAsync();
TrainingResult result = await trainer.TrainAsync();
IReadOnlyDictionary<string, double> after = await trainer.EvaluateAsync();

string Show(IReadOnlyDictionary<string, double> m) => string.Create(CultureInfo.InvariantCulture,
    $"eval_loss {m["eval_loss"]:0.0000}, eval_rewards/margins {m["eval_rewards/margins"]:0.0000}, eval_rewards/accuracies {m["eval_rewards/accuracies"]:0.000}");
Console.WriteLine($"loss {trainer.Loss.Name} (beta 0.1, margin 0.5), {result.GlobalStep} steps");
Console.WriteLine($"before: {Show(before)}");
Console.WriteLine($"after:  {Show(after)}");
Console.WriteLine($"model:  {result.OutputDirectory}");
return after["eval_rewards/margins"] > before["eval_rewards/margins"] ? 0 : 1;
