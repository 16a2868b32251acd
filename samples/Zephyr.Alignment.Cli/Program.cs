using System.CommandLine;
using System.Text.Json;
using Zephyr.Alignment.Cli.Commands;
using Zephyr.Alignment.Models;

// The zephyr tool. Exit codes: 0 success, 1 unexpected failure, 2 bad input (usage, missing file or folder,
// malformed line, invalid checkpoint), 130 cancelled. Errors are one line on stderr; never a stack trace.
var root = new RootCommand("zephyr: generate, score and tokenize with Hugging Face Llama-family checkpoints (Llama, Mistral, Qwen2/3, SmolLM3); train with dSFT and dDPO; build AIF preference data; serve a model (Zephyr.Alignment).")
{
    GenerateCommand.Create(),
    LogProbsCommand.Create(),
    TokenizeCommand.Create(),
    SftCommand.Create(),
    DpoCommand.Create(),
    AifCommand.Create(),
    ServeCommand.Create(),
};

ParseResult parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"zephyr: {error.Message}");
    }

    Console.Error.WriteLine("Run 'zephyr --help' for usage.");
    return 2;
}

try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is CliInputException or CheckpointException or FileNotFoundException or DirectoryNotFoundException
    or InvalidDataException or FormatException or NotSupportedException or JsonException or ArgumentException
    or Zephyr.Alignment.Chat.ChatTemplateNotRecognizedException or Microsoft.Extensions.Options.OptionsValidationException
    or Zephyr.Alignment.Training.OutputDirectoryInUseException)
{
    // ArgumentException appends " (Parameter 'name')", which means nothing to someone at a shell prompt.
    string message = e is ArgumentException { ParamName: { } parameter }
        ? e.Message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal)
        : e.Message;
    Console.Error.WriteLine($"zephyr: {OneLine(message)}");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("zephyr: cancelled");
    return 130;
}
catch (Exception e)
{
    Console.Error.WriteLine($"zephyr: {OneLine(e.Message)}");
    return 1;
}

static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
