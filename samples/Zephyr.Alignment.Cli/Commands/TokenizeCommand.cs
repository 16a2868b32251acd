using System.CommandLine;
using System.Text.Json;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary><c>zephyr tokenize</c>: one <c>{"text": ...}</c> per line in, one <c>{"ids": [...]}</c> per line out.</summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        Option<string> model = CommonOptions.Model();
        Option<FileInfo> input = CommonOptions.Input();
        var command = new Command("tokenize", "Tokenize text with a checkpoint's tokenizer: {\"text\": ...} per line in, {\"ids\": [...]} (no bos/eos) per line out.")
        {
            model,
            input,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ITokenizer tokenizer = Checkpoint.LoadTokenizer(parse.GetValue(model)!);
            FileInfo file = parse.GetValue(input)!;
            using Stream stdout = Console.OpenStandardOutput();
            await foreach ((int line, JsonElement value) in JsonLines.ReadAsync(file, cancellationToken))
            {
                string text = JsonLines.RequireString(value, "text", file, line);
                IReadOnlyList<int> ids = tokenizer.Encode(text, addSpecialTokens: false).Ids;
                await JsonLines.WriteAsync(stdout, writer => JsonLines.WriteIds(writer, "ids", ids), cancellationToken);
            }

            return 0;
        });
        return command;
    }
}
