using System.CommandLine;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>Options shared by every command that loads a model.</summary>
internal static class CommonOptions
{
    public static Option<string> Model() => new("--model", "-m")
    {
        Description = "Hugging Face checkpoint folder (config.json, safetensors, tokenizer files).",
        Required = true,
    };

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
