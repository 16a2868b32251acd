using System.CommandLine;
using Zephyr.Alignment.Models;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>Options shared by every command that loads a model.</summary>
internal static class CommonOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "Hugging Face checkpoint folder (config.json, safetensors, tokenizer files).",
        Required = true,
    };

    public static Option<string?> Adapter() => new("--adapter")
    {
        Description = "A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) to load onto --model, the base it was trained on.",
    };

    /// <summary>Loads the <c>--adapter</c> folder onto <paramref name="model"/> when one is given; dispose the result (null without one).</summary>
    public static LoraModel? LoadAdapter(CausalLanguageModel model, string? adapterFolder)
        => adapterFolder is null ? null : LoraModel.Load(model, adapterFolder);

    public static Option<string> Device() => new("--device")
    {
        Description = "cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<string> DType() => new("--dtype")
    {
        Description = "float32, bfloat16 or float16.",
        DefaultValueFactory = _ => "float32",
    };

    public static Option<FileInfo> Input() => new("--input", "-i")
    {
        Description = "JSON Lines input file.",
        Required = true,
    };
}
