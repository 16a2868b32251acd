using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// <c>zephyr tokenize</c>: per input line, <c>{"text": ...}</c> gives <c>{"ids": [...]}</c> (no bos/eos), and
/// <c>{"messages": [...], "add_generation_prompt": bool}</c> (optionally <c>tools</c> and <c>documents</c>) gives
/// <c>{"text": rendered, "ids": [...]}</c>, the
/// rendered chat template encoded without adding special tokens beyond those the template writes. Needs only
/// <c>tokenizer.json</c> (or <c>tokenizer.model</c>) and <c>tokenizer_config.json</c>.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        Option<string> model = CommonOptions.Model();
        Option<FileInfo> input = CommonOptions.Input();
        var command = new Command(
            "tokenize",
            "Tokenize with a checkpoint's tokenizer: {\"text\": ...} per line gives {\"ids\": [...]} (no bos/eos); " +
            "{\"messages\": [...], \"add_generation_prompt\": true|false} gives {\"text\": <rendered chat template>, \"ids\": [...]}.")
        {
            model,
            input,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = parse.GetValue(model)!;
            ITokenizer tokenizer = Checkpoint.LoadTokenizer(folder);
            FileInfo file = parse.GetValue(input)!;
            using ILoggerFactory loggers = LoggerFactory.Create(builder => builder.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
            IChatTemplate? template = null;
            using Stream stdout = Console.OpenStandardOutput();
            await foreach ((int line, JsonElement value) in JsonLines.ReadAsync(file, cancellationToken))
            {
                if (value.TryGetProperty("messages", out JsonElement messages))
                {
                    template ??= ChatTemplateRecognizer.ForTokenizer(tokenizer, loggers.CreateLogger("zephyr.tokenize"), Path.Combine(folder, "tokenizer_config.json"));
                    string rendered = Render(template, tokenizer, messages, value, file, line);

                    // The template writes every special token the conversation needs (bos included), so none is added.
                    IReadOnlyList<int> chatIds = tokenizer.Encode(rendered, addSpecialTokens: false).Ids;
                    await JsonLines.WriteAsync(
                        stdout,
                        writer =>
                        {
                            writer.WriteString("text", rendered);
                            JsonLines.WriteIds(writer, "ids", chatIds);
                        },
                        cancellationToken);
                    continue;
                }

                string text = JsonLines.RequireString(value, "text", file, line);
                IReadOnlyList<int> ids = tokenizer.Encode(text, addSpecialTokens: false).Ids;
                await JsonLines.WriteAsync(stdout, writer => JsonLines.WriteIds(writer, "ids", ids), cancellationToken);
            }

            return 0;
        });
        return command;
    }

    private static string Render(IChatTemplate template, ITokenizer tokenizer, JsonElement messages, JsonElement value, FileInfo file, int line)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw new CliInputException($"{file.Name}:{line}: field 'messages' must be an array of {{\"role\", \"content\"}} objects");
        }

        bool addGenerationPrompt = false;
        if (value.TryGetProperty("add_generation_prompt", out JsonElement flag))
        {
            addGenerationPrompt = flag.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new CliInputException($"{file.Name}:{line}: field 'add_generation_prompt' must be true or false"),
            };
        }

        var options = new ChatRenderOptions
        {
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = tokenizer.BosToken?.Text ?? string.Empty,
            EosToken = tokenizer.EosToken?.Text ?? string.Empty,
            Tools = OptionalArray(value, "tools", file, line),
            Documents = OptionalArray(value, "documents", file, line),
        };
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (property.Name is not ("messages" or "add_generation_prompt" or "tools" or "documents"))
            {
                throw new CliInputException($"{file.Name}:{line}: unknown field '{property.Name}' (a chat line takes messages, add_generation_prompt, tools, documents)");
            }
        }

        try
        {
            if (template is JinjaChatTemplate jinja)
            {
                return jinja.Render(messages, options).Text;
            }

            var list = new List<ConversationMessage>();
            foreach (JsonElement message in messages.EnumerateArray())
            {
                string role = JsonLines.RequireString(message, "role", file, line);
                string content = JsonLines.RequireString(message, "content", file, line);
                if (!MessageRoles.TryParse(role, out MessageRole parsed))
                {
                    throw new CliInputException($"{file.Name}:{line}: role '{role}' is not one the '{template.Name}' template takes (system, user, assistant)");
                }

                list.Add(new ConversationMessage(parsed, content));
            }

            return template.Render(list, options).Text;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException)
        {
            throw new CliInputException($"{file.Name}:{line}: {exception.Message}");
        }
    }

    private static JsonElement[]? OptionalArray(JsonElement value, string name, FileInfo file, int line)
    {
        if (!value.TryGetProperty(name, out JsonElement array) || array.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return array.ValueKind == JsonValueKind.Array
            ? [.. array.EnumerateArray().Select(item => item.Clone())]
            : throw new CliInputException($"{file.Name}:{line}: field '{name}' must be an array");
    }
}
