using System.Text.Json;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

/// <summary>
/// Real tokenizer files (trimmed; see Fixtures/tokenizers/PROVENANCE.md) against the ids and decodes that
/// transformers.js gives for a corpus of prose, code, whitespace runs, CJK, emoji, numbers and special-token strings.
/// </summary>
public sealed class TokenizerJsonReferenceTests
{
    public static TheoryData<string> Sets => new() { "mistral-7b", "mistral-7b-nonlegacy", "metaspace-first", "metaspace-always", "metaspace-never-digits", "gemma3", "llama3", "qwen3" };

    [Theory]
    [MemberData(nameof(Sets))]
    public void Encodes_and_decodes_the_corpus_as_transformers_js(string set)
    {
        string folder = TokenizerFixtures.Folder(Path.Combine("tokenizers", set));
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(folder);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "cases.json")));
        var failures = new List<string>();
        Assert.True(document.RootElement.GetProperty("cases").GetArrayLength() >= 25);
        foreach (JsonElement item in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = item.GetProperty("text").GetString()!;
            int[] ids = [.. item.GetProperty("ids").EnumerateArray().Select(id => id.GetInt32())];
            int[] withSpecial = [.. item.GetProperty("ids_with_special").EnumerateArray().Select(id => id.GetInt32())];
            Check("ids", ids, tokenizer.Encode(text, addSpecialTokens: false).Ids);
            Check("ids_with_special", withSpecial, tokenizer.Encode(text).Ids);
            Check("decoded", item.GetProperty("decoded").GetString(), tokenizer.Decode(ids));
            Check("decoded_with_special_skipped", item.GetProperty("decoded_with_special_skipped").GetString(), tokenizer.Decode(withSpecial, skipSpecialTokens: true));

            void Check<T>(string what, T expected, T actual)
            {
                string e = JsonSerializer.Serialize(expected);
                string a = JsonSerializer.Serialize(actual);
                if (e != a)
                {
                    failures.Add($"{what} of {JsonSerializer.Serialize(text)}: expected {e}, got {a}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Sentencepiece_style_files_load_as_sentencepiece_json_tokenizers()
    {
        Assert.IsType<SentencePieceJsonTokenizer>(HuggingFaceTokenizer.FromFolder(TokenizerFixtures.Folder("tokenizers/mistral-7b")));
        Assert.IsType<SentencePieceJsonTokenizer>(HuggingFaceTokenizer.FromFolder(TokenizerFixtures.Folder("tokenizers/gemma3")));
        Assert.IsType<ByteLevelBpeTokenizer>(HuggingFaceTokenizer.FromFolder(TokenizerFixtures.Folder("tokenizers/llama3")));
    }
}
