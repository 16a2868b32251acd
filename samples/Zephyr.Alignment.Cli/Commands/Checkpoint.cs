using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>A checkpoint folder opened for a command: its tokenizer and, when needed, its model.</summary>
internal static class Checkpoint
{
    public static string RequireFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new CliInputException($"model folder '{folder}' does not exist");
        }

        return folder;
    }

    public static ITokenizer LoadTokenizer(string folder) => HuggingFaceTokenizer.FromFolder(RequireFolder(folder));

    public static CausalLanguageModel LoadModel(string folder, string device, string dtype)
    {
        RequireFolder(folder);
        // A bad --device or --dtype throws ArgumentException, which Program reports as bad input (exit code 2).
        ModelLoadOptions options = ModelLoadOptions.From(new TorchDeviceOptions { Device = device, DType = dtype });
        return PretrainedModel.Load(folder, options);
    }
}
