using System.Text.Json;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Cli;

public sealed class CliTests
{
    private static readonly string TinyLlama = TestPaths.Fixture("tiny-llama");

    [Fact]
    public void Every_command_has_help()
    {
        foreach (string command in new[] { "generate", "logprobs", "tokenize" })
        {
            (int code, string stdout, _) = ZephyrCli.Run(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("--model", stdout, StringComparison.Ordinal);
        }

        (int rootCode, string rootHelp, _) = ZephyrCli.Run("--help");
        Assert.Equal(0, rootCode);
        Assert.Contains("generate", rootHelp, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-mistral")]
    public void Generate_with_prompt_ids_reproduces_the_reference_greedy_tokens(string folder)
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture(folder, "expected.json")));
        JsonElement greedy = expected.RootElement.GetProperty("greedy");
        JsonElement item = greedy.GetProperty("items")[1];
        int[] prompt = item.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] tokens = item.GetProperty("new_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int eos = Array.IndexOf(tokens, 2);
        int[] expectedTokens = eos >= 0 ? tokens[..(eos + 1)] : tokens;

        (int code, string stdout, string stderr) = ZephyrCli.Run(
            "generate", "--model", TestPaths.Fixture(folder), "--prompt-ids", string.Join(',', prompt),
            "--max-new-tokens", tokens.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.True(code == 0, stderr);
        using JsonDocument output = JsonDocument.Parse(stdout);
        Assert.Equal(expectedTokens, output.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(JsonValueKind.String, output.RootElement.GetProperty("text").ValueKind);
    }

    [Fact]
    public void Generate_with_text_streams_a_continuation_and_chat_mode_uses_the_checkpoint_template()
    {
        (int code, string stdout, string stderr) = ZephyrCli.Run("generate", "--model", TinyLlama, "--prompt", "The quick brown fox", "--max-new-tokens", "8");
        Assert.True(code == 0, stderr);
        Assert.False(string.IsNullOrWhiteSpace(stdout));

        (int chatCode, string chatOut, string chatErr) = ZephyrCli.Run(
            "generate", "--model", TinyLlama, "--prompt", "Hi!", "--chat", "--max-new-tokens", "8", "--temperature", "0.8", "--seed", "5", "--json");
        Assert.True(chatCode == 0, chatErr);
        (int againCode, string again, _) = ZephyrCli.Run(
            "generate", "--model", TinyLlama, "--prompt", "Hi!", "--chat", "--max-new-tokens", "8", "--temperature", "0.8", "--seed", "5", "--json");
        Assert.Equal(0, againCode);
        Assert.Equal(chatOut, again);
    }

    [Fact]
    public void Logprobs_match_the_reference_for_ids_and_text_is_scored_in_context_with_one_bos()
    {
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("tiny-llama", "expected.json")));
        JsonElement[] items = expected.RootElement.GetProperty("completion_logps").GetProperty("items").EnumerateArray().ToArray();
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(TinyLlama);
        using var temp = new TempDirectory();
        string input = temp.File("pairs.jsonl");

        // Per item: the reference ids; the text and its in-context ids (prompt + completion encoded once, as TRL 1.x);
        // the text with a bos already written, which must not get a second one, and its ids.
        File.WriteAllLines(input, items.SelectMany(i =>
        {
            string prompt = i.GetProperty("prompt_text").GetString()!;
            string completion = i.GetProperty("completion_text").GetString()!;
            PromptCompletionIds inContext = tokenizer.EncodeInContext(prompt, completion);
            PromptCompletionIds withBos = tokenizer.EncodeInContext("<s>" + prompt, completion);
            Assert.Equal(tokenizer.BosToken!.Id, withBos.Prompt[0]);
            Assert.DoesNotContain(tokenizer.BosToken.Id, withBos.Prompt[1..]);
            return new[]
            {
                JsonSerializer.Serialize(new { prompt_ids = i.GetProperty("prompt_ids"), completion_ids = i.GetProperty("completion_ids") }),
                JsonSerializer.Serialize(new { prompt, completion }),
                JsonSerializer.Serialize(new { prompt_ids = inContext.Prompt, completion_ids = (int[])[.. inContext.Completion, tokenizer.EosToken!.Id] }),
                JsonSerializer.Serialize(new { prompt = "<s>" + prompt, completion }),
                JsonSerializer.Serialize(new { prompt_ids = withBos.Prompt, completion_ids = (int[])[.. withBos.Completion, tokenizer.EosToken.Id] }),
            };
        }));

        (int code, string stdout, string stderr) = ZephyrCli.Run("logprobs", "--model", TinyLlama, "--input", input);

        Assert.True(code == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(items.Length * 5, lines.Length);
        for (int i = 0; i < items.Length; i++)
        {
            JsonElement reference = items[i];
            using JsonDocument line = JsonDocument.Parse(lines[5 * i]);
            double[] ours = line.RootElement.GetProperty("token_logps").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double[] theirs = reference.GetProperty("per_token_logps").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(theirs.Length, ours.Length);
            Assert.All(theirs.Zip(ours), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4));
            Assert.Equal(reference.GetProperty("sum_logp").GetDouble(), line.RootElement.GetProperty("logp_sum").GetDouble(), 1e-3);
            Assert.Equal(reference.GetProperty("mean_logp").GetDouble(), line.RootElement.GetProperty("logp_mean").GetDouble(), 1e-4);

            Assert.Equal(lines[(5 * i) + 2], lines[(5 * i) + 1]);
            Assert.Equal(lines[(5 * i) + 4], lines[(5 * i) + 3]);
        }
    }

    [Fact]
    public void Tokenize_prints_ids_without_bos_or_eos()
    {
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("spm-tiny", "cases.json")));
        JsonElement[] picked = cases.RootElement.GetProperty("cases").EnumerateArray()
            .Where(c => !c.GetProperty("text").GetString()!.Contains("</s>", StringComparison.Ordinal) && !c.GetProperty("text").GetString()!.Contains("<s>", StringComparison.Ordinal))
            .Take(10).ToArray();
        using var temp = new TempDirectory();
        string input = temp.File("texts.jsonl");
        File.WriteAllLines(input, picked.Select(c => JsonSerializer.Serialize(new { text = c.GetProperty("text").GetString() })));

        (int code, string stdout, string stderr) = ZephyrCli.Run("tokenize", "--model", TinyLlama, "--input", input);

        Assert.True(code == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(picked.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using JsonDocument line = JsonDocument.Parse(lines[i]);
            Assert.Equal(
                picked[i].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()),
                line.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        }
    }

    [Fact]
    public void Bad_input_is_one_line_naming_it_with_exit_code_2()
    {
        using var temp = new TempDirectory();
        string missing = temp.File("no-such-model");
        string malformed = temp.File("bad.jsonl");
        File.WriteAllLines(malformed, ["{\"text\": \"fine\"}", "{\"text\": \"fine too\"}", "{\"text\": oops}"]);
        string wrongField = temp.File("wrong.jsonl");
        File.WriteAllLines(wrongField, ["{\"prompt_ids\": [1, 2], \"completion_ids\": [3, 99999]}"]);

        AssertBadInput(ZephyrCli.Run("generate", "--model", missing, "--prompt", "x"), "no-such-model");
        AssertBadInput(ZephyrCli.Run("tokenize", "--model", TinyLlama, "--input", malformed), "bad.jsonl:3");
        AssertBadInput(ZephyrCli.Run("logprobs", "--model", TinyLlama, "--input", wrongField), "wrong.jsonl:1");
        AssertBadInput(ZephyrCli.Run("tokenize", "--model", TinyLlama, "--input", temp.File("absent.jsonl")), "absent.jsonl");
        AssertBadInput(ZephyrCli.Run("generate", "--model", TinyLlama), "--prompt");
        AssertBadInput(ZephyrCli.Run("generate", "--model", TinyLlama, "--prompt", "x", "--dtype", "int3"), "int3");
        AssertBadInput(ZephyrCli.Run("generate", "--model", TinyLlama, "--prompt", "x", "--device", "cuda"), "CUDA");
        Assert.DoesNotContain("(Parameter", ZephyrCli.Run("generate", "--model", TinyLlama, "--prompt", "x", "--device", "cuda").StdErr, StringComparison.Ordinal);
        AssertBadInput(ZephyrCli.Run("generate", "--bogus"), "--bogus");
    }

    private static void AssertBadInput((int ExitCode, string StdOut, string StdErr) result, string mentioned)
    {
        Assert.Equal(2, result.ExitCode);
        string error = result.StdErr.Trim();
        Assert.Contains(mentioned, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }
}
