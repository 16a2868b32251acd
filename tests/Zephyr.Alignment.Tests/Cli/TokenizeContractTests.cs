using System.Text.Json;
using System.Text.Json.Nodes;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Cli;

/// <summary>
/// The outside contract of <c>zephyr tokenize</c>, driven as a black box on folders that hold only
/// <c>tokenizer.json</c> and <c>tokenizer_config.json</c>: <c>{"text"}</c> lines give <c>{"ids"}</c>, and
/// <c>{"messages", "add_generation_prompt"}</c> lines give <c>{"text", "ids"}</c>. Expected texts and ids come from
/// transformers.js (Fixtures/tokenizers, Fixtures/chat-templates).
/// </summary>
public sealed class TokenizeContractTests
{
    [Theory]
    [InlineData("qwen3", "qwen3", "[{\"role\":\"user\",\"content\":\"hi\"}]", true, "", "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")]
    [InlineData("llama3", "llama-3.1", "[{\"role\":\"user\",\"content\":\"Hi\"}]", false, "", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>")]
    [InlineData("gemma3", "gemma-3", "[{\"role\":\"user\",\"content\":\"Hello\"}]", true, "<bos>", "<start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\n")]
    public void Tokenize_renders_the_checkpoint_template_and_encodes_it_without_added_special_tokens(
        string tokenizerSet, string templateName, string messages, bool addGenerationPrompt, string leadingBos, string corpusLine)
    {
        using var temp = new TempDirectory();
        string folder = OnlyTokenizerFiles(temp, tokenizerSet, templateName);
        string input = temp.File("in.jsonl");
        File.WriteAllLines(input,
        [
            JsonSerializer.Serialize(new { text = "Hello world! The quick brown fox jumps over the lazy dog." }),
            $"{{\"messages\": {messages}, \"add_generation_prompt\": {(addGenerationPrompt ? "true" : "false")}}}",
        ]);

        (int code, string stdout, string stderr) = ZephyrCli.Run("tokenize", "--model", folder, "--input", input);

        Assert.True(code == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using JsonDocument plain = JsonDocument.Parse(lines[0]);
        Assert.Equal(["ids"], plain.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ReferenceIds(tokenizerSet, "Hello world! The quick brown fox jumps over the lazy dog."), Ids(plain.RootElement));

        using JsonDocument chat = JsonDocument.Parse(lines[1]);
        Assert.Equal(["text", "ids"], chat.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(leadingBos + corpusLine, chat.RootElement.GetProperty("text").GetString());
        int[] expectedIds = [.. (leadingBos.Length > 0 ? [HuggingFaceTokenizer.FromFolder(folder).BosToken!.Id] : Array.Empty<int>()), .. ReferenceIds(tokenizerSet, corpusLine)];
        Assert.Equal(expectedIds, Ids(chat.RootElement));
    }

    [Fact]
    public void Without_a_chat_template_tokenize_uses_zephyr_and_warns_on_stderr()
    {
        using var temp = new TempDirectory();
        string folder = OnlyTokenizerFiles(temp, "mistral-7b", templateName: null);
        string input = temp.File("in.jsonl");
        File.WriteAllLines(input, ["{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"add_generation_prompt\": true}"]);

        (int code, string stdout, string stderr) = ZephyrCli.Run("tokenize", "--model", folder, "--input", input);

        Assert.True(code == 0, stderr);
        Assert.Contains("has no chat_template", stderr, StringComparison.Ordinal);
        Assert.Contains("zephyr", stderr, StringComparison.Ordinal);
        using JsonDocument chat = JsonDocument.Parse(stdout.Trim());
        string text = chat.RootElement.GetProperty("text").GetString()!;
        Assert.Equal("<|system|>\n</s>\n<|user|>\nHi</s>\n<|assistant|>\n", text);
        Assert.Equal(HuggingFaceTokenizer.FromFolder(folder).Encode(text, addSpecialTokens: false).Ids, Ids(chat.RootElement));
    }

    [Fact]
    public void A_template_error_and_a_bad_messages_field_are_one_line_naming_the_input_line()
    {
        using var temp = new TempDirectory();
        string folder = OnlyTokenizerFiles(temp, "qwen3", "qwen3");
        string input = temp.File("bad.jsonl");
        File.WriteAllLines(input, ["{\"text\": \"fine\"}", "{\"messages\": \"not a list\"}"]);
        string unknown = temp.File("unknown.jsonl");
        File.WriteAllLines(unknown, ["{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"enable_thinking\": false}"]);

        (int code, _, string stderr) = ZephyrCli.Run("tokenize", "--model", folder, "--input", input);
        (int unknownCode, _, string unknownError) = ZephyrCli.Run("tokenize", "--model", folder, "--input", unknown);

        Assert.Equal(2, code);
        Assert.Contains("bad.jsonl:2", stderr, StringComparison.Ordinal);
        Assert.Equal(2, unknownCode);
        Assert.Contains("unknown.jsonl:1", unknownError, StringComparison.Ordinal);
        Assert.Contains("enable_thinking", unknownError, StringComparison.Ordinal);
    }

    [Fact]
    public void Tools_reach_the_template()
    {
        using var temp = new TempDirectory();
        string folder = OnlyTokenizerFiles(temp, "qwen3", "qwen3");
        string input = temp.File("tools.jsonl");
        File.WriteAllLines(input, ["{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"add_generation_prompt\": true, \"tools\": [{\"name\": \"f\"}]}"]);

        (int code, string stdout, string stderr) = ZephyrCli.Run("tokenize", "--model", folder, "--input", input);

        Assert.True(code == 0, stderr);
        using JsonDocument chat = JsonDocument.Parse(stdout.Trim());
        Assert.Contains("<tools>\n{\"name\": \"f\"}\n</tools>", chat.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    private static string OnlyTokenizerFiles(TempDirectory temp, string tokenizerSet, string? templateName)
    {
        string folder = Path.Combine(temp.Path, tokenizerSet);
        Directory.CreateDirectory(folder);
        string source = TestPaths.Fixture("tokenizers", tokenizerSet);
        File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(folder, "tokenizer.json"));
        JsonObject config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer_config.json")))!.AsObject();
        if (templateName is not null)
        {
            var templates = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(TestPaths.Fixture("chat-templates", "templates.json")))!;
            config["chat_template"] = templates[templateName];
        }

        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString());
        return folder;
    }

    private static int[] ReferenceIds(string tokenizerSet, string text)
    {
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("tokenizers", tokenizerSet, "cases.json")));
        return Ids(cases.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("text").GetString() == text));
    }

    private static int[] Ids(JsonElement element) => [.. element.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32())];
}
