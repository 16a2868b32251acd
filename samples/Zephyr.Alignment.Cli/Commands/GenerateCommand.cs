using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary><c>zephyr generate</c>: continue a prompt (or answer it in the checkpoint's chat format).</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        Option<string> model = CommonOptions.Model();
        Option<string> device = CommonOptions.Device();
        Option<string> dtype = CommonOptions.DType();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "The prompt text (the tokenizer adds bos as configured)." };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "The prompt as comma-separated token ids, e.g. 1,2,3." };
        var chat = new Option<bool>("--chat") { Description = "Wrap --prompt as a user message in the checkpoint's chat template, with the generation prompt." };
        var template = new Option<string?>("--template") { Description = "With --chat: use this template (zephyr, chatml, llama-2, mistral-instruct, llama-3) instead of the checkpoint's." };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double>("--temperature", "-t") { Description = "Sampling temperature; 0 is greedy.", DefaultValueFactory = _ => 0 };
        var topP = new Option<double>("--top-p") { Description = "Nucleus sampling mass; 1 is off.", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens; 0 is off.", DefaultValueFactory = _ => 0 };
        var repetitionPenalty = new Option<double>("--repetition-penalty") { Description = "Penalty for tokens already present; 1 is off.", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<long?>("--seed") { Description = "Seed of the sampler: the same seed reproduces the output." };
        var stop = new Option<string[]>("--stop") { Description = "Stop once the generated text contains this string (repeatable)." };
        var json = new Option<bool>("--json") { Description = "Print one line {\"ids\": [new token ids], \"text\": \"...\"} instead of streaming text." };
        var command = new Command("generate", "Generate a continuation with a KV cache (greedy by default).")
        {
            model, prompt, promptIds, chat, template, maxNewTokens, temperature, topP, topK, repetitionPenalty, seed, stop, json, device, dtype,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = parse.GetValue(model)!;
            string? text = parse.GetValue(prompt);
            string? ids = parse.GetValue(promptIds);
            if ((text is null) == (ids is null))
            {
                throw new CliInputException("give exactly one of --prompt and --prompt-ids");
            }

            if (parse.GetValue(chat) && text is null)
            {
                throw new CliInputException("--chat needs --prompt (text), not --prompt-ids");
            }

            ITokenizer tokenizer = Checkpoint.LoadTokenizer(folder);
            IReadOnlyList<int> input = text is null
                ? ParseIds(ids!)
                : parse.GetValue(chat)
                    ? tokenizer.EncodeChat(ChooseTemplate(tokenizer, folder, parse.GetValue(template)), [ConversationMessage.User(text)], addGenerationPrompt: true).InputIds
                    : tokenizer.Encode(text, addSpecialTokens: true).Ids;
            var options = new GenerationOptions
            {
                MaxNewTokens = parse.GetValue(maxNewTokens),
                Temperature = parse.GetValue(temperature),
                TopP = parse.GetValue(topP),
                TopK = parse.GetValue(topK),
                RepetitionPenalty = parse.GetValue(repetitionPenalty),
                Seed = parse.GetValue(seed),
                StopStrings = parse.GetValue(stop) ?? [],
            };
            options.Validate();

            using CausalLanguageModel policy = Checkpoint.LoadModel(folder, parse.GetValue(device)!, parse.GetValue(dtype)!);
            if (input.Any(id => id < 0 || id >= policy.VocabularySize))
            {
                throw new CliInputException($"--prompt-ids holds an id outside [0, {policy.VocabularySize})");
            }

            var generator = new TokenGenerator(policy, tokenizer);
            if (parse.GetValue(json))
            {
                GenerationResult result = generator.Generate(input, options, cancellationToken);
                using Stream stdout = Console.OpenStandardOutput();
                await JsonLines.WriteAsync(
                    stdout,
                    writer =>
                    {
                        JsonLines.WriteIds(writer, "ids", result.TokenIds);
                        writer.WriteString("text", tokenizer.Decode(result.TokenIds, skipSpecialTokens: true));
                    },
                    cancellationToken);
                return 0;
            }

            // Stream: decode everything generated so far and print what is new, holding back an incomplete
            // UTF-8 character (decoded as U+FFFD) until its remaining bytes arrive.
            var generated = new List<int>();
            int printed = 0;
            await foreach (int id in generator.StreamAsync(input, options, cancellationToken))
            {
                generated.Add(id);
                string decoded = tokenizer.Decode(generated, skipSpecialTokens: true);
                if (decoded.Length > printed && !decoded.EndsWith('\uFFFD'))
                {
                    Console.Write(decoded[printed..]);
                    printed = decoded.Length;
                }
            }

            string final = tokenizer.Decode(generated, skipSpecialTokens: true);
            Console.WriteLine(final.Length > printed ? final[printed..] : string.Empty);
            return 0;
        });
        return command;
    }

    private static IChatTemplate ChooseTemplate(ITokenizer tokenizer, string folder, string? name)
    {
        if (name is not null)
        {
            return ChatTemplates.Default.TryGet(name, out IChatTemplate? chosen)
                ? chosen
                : throw new CliInputException($"unknown chat template '{name}'; known: {string.Join(", ", ChatTemplates.Default.Names)}");
        }

        // The checkpoint's chat template, or Zephyr's with a warning on stderr when it ships none.
        using ILoggerFactory loggers = LoggerFactory.Create(builder => builder.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        return ChatTemplateRecognizer.ForTokenizer(tokenizer, loggers.CreateLogger("zephyr.generate"), Path.Combine(folder, "tokenizer_config.json"));
    }

    private static int[] ParseIds(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ids[i]))
            {
                throw new CliInputException($"--prompt-ids: '{parts[i]}' is not a token id");
            }
        }

        return ids.Length > 0 ? ids : throw new CliInputException("--prompt-ids is empty");
    }
}
