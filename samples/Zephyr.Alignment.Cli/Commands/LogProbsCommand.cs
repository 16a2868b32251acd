using System.CommandLine;
using System.Text.Json;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Scoring;
using Zephyr.Alignment.Tokenization;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// <c>zephyr logprobs</c>: the log-probabilities of each completion given its prompt, one JSON line per input line.
/// </summary>
internal static class LogProbsCommand
{
    public static Command Create()
    {
        Option<string> model = CommonOptions.Model();
        Option<FileInfo> input = CommonOptions.Input();
        Option<string> device = CommonOptions.Device();
        Option<string> dtype = CommonOptions.DType();
        var noEos = new Option<bool>("--no-eos")
        {
            Description = "For text input, do not append the eos token to the completion (by default it is appended, as TRL does).",
        };
        var command = new Command(
            "logprobs",
            "Score completions: each line {\"prompt_ids\": [...], \"completion_ids\": [...]} or {\"prompt\": \"...\", \"completion\": \"...\"}; " +
            "prints {\"logp_sum\", \"logp_mean\", \"token_logps\"} per line, in order. Text is encoded as prompt + completion in one piece and split " +
            "where the prompt ends (as TRL 1.x); bos is added as the tokenizer says, unless the prompt already begins with it.")
        {
            model,
            input,
            device,
            dtype,
            noEos,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = parse.GetValue(model)!;
            ITokenizer tokenizer = Checkpoint.LoadTokenizer(folder);
            using CausalLanguageModel policy = Checkpoint.LoadModel(folder, parse.GetValue(device)!, parse.GetValue(dtype)!);
            FileInfo file = parse.GetValue(input)!;
            bool appendEos = !parse.GetValue(noEos);
            using Stream stdout = Console.OpenStandardOutput();
            await foreach ((int line, JsonElement value) in JsonLines.ReadAsync(file, cancellationToken))
            {
                (long[] prompt, long[] completion) = ReadPair(value, tokenizer, policy.VocabularySize, appendEos, file, line);
                double[] logps = Score(policy, prompt, completion);
                double sum = logps.Sum();
                await JsonLines.WriteAsync(
                    stdout,
                    writer =>
                    {
                        writer.WriteNumber("logp_sum", sum);
                        writer.WriteNumber("logp_mean", sum / logps.Length);
                        writer.WriteStartArray("token_logps");
                        foreach (double logp in logps)
                        {
                            writer.WriteNumberValue(logp);
                        }

                        writer.WriteEndArray();
                    },
                    cancellationToken);
            }

            return 0;
        });
        return command;
    }

    private static (long[] Prompt, long[] Completion) ReadPair(JsonElement value, ITokenizer tokenizer, int vocabularySize, bool appendEos, FileInfo file, int line)
    {
        long[] prompt, completion;
        if (value.TryGetProperty("prompt_ids", out _) || value.TryGetProperty("completion_ids", out _))
        {
            prompt = JsonLines.RequireIds(value, "prompt_ids", file, line, vocabularySize);
            completion = JsonLines.RequireIds(value, "completion_ids", file, line, vocabularySize);
        }
        else
        {
            // As TRL 1.x tokenizes preference data: prompt + completion encoded once (bos added unless the text
            // begins with it) and split where the prompt ends, so the completion has its in-context ids; then eos.
            PromptCompletionIds pair = tokenizer.EncodeInContext(
                JsonLines.RequireString(value, "prompt", file, line), JsonLines.RequireString(value, "completion", file, line));
            prompt = [.. pair.Prompt.Select(i => (long)i)];
            completion = [.. pair.Completion.Select(i => (long)i)];
            if (appendEos && tokenizer.EosToken is { } eos && (completion.Length == 0 || completion[^1] != eos.Id))
            {
                completion = [.. completion, eos.Id];
            }
        }

        if (prompt.Length == 0)
        {
            throw new CliInputException($"{file.Name}:{line}: the prompt is empty (the first completion token needs a token before it)");
        }

        if (completion.Length == 0)
        {
            throw new CliInputException($"{file.Name}:{line}: the completion is empty");
        }

        return (prompt, completion);
    }

    private static double[] Score(CausalLanguageModel policy, long[] prompt, long[] completion)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor ids = tensor(prompt.Concat(completion).ToArray(), device: policy.Device).unsqueeze(0);                 // [1, T]
        Tensor mask = tensor(prompt.Select(_ => 0L).Concat(completion.Select(_ => 1L)).ToArray(), device: policy.Device).unsqueeze(0);
        using CompletionLogProbs logps = TokenLogProbs.ForCompletions(policy.Forward(ids), ids, mask);
        return logps.PerToken[0].narrow(0, prompt.Length - 1, completion.Length).to(ScalarType.Float64).cpu().data<double>().ToArray();
    }
}
