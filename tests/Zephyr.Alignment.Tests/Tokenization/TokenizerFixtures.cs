using System.Text.Json;

namespace Zephyr.Alignment.Tests.Tokenization;

/// <summary>Paths and parsed contents of the tokenizer fixtures under <c>Fixtures/</c>.</summary>
internal static class TokenizerFixtures
{
    private static readonly Lazy<IReadOnlyList<SpmCase>> LazySpmCases = new(LoadSpmCases);
    private static readonly Lazy<IReadOnlyList<BpeCase>> LazyBpeCases = new(LoadBpeCases);
    private static readonly Lazy<IReadOnlyList<(string Text, int[] Ids)>> LazyFuzz = new(LoadFuzz);

    public static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string SpmModelPath => Path.Combine(Folder("spm-tiny"), "tokenizer.model");

    public static IReadOnlyList<SpmCase> SpmCases => LazySpmCases.Value;

    public static IReadOnlyList<BpeCase> BpeCases => LazyBpeCases.Value;

    public static IReadOnlyList<(string Text, int[] Ids)> FuzzStrings => LazyFuzz.Value;

    public static JsonElement BpeCasesRoot()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder("bpe-tiny"), "cases.json")));
        return document.RootElement.Clone();
    }

    private static IReadOnlyList<SpmCase> LoadSpmCases()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder("spm-tiny"), "cases.json")));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(item => new SpmCase(
            item.GetProperty("text").GetString()!,
            Ints(item.GetProperty("ids")),
            Strings(item.GetProperty("pieces")),
            item.GetProperty("decoded").GetString()!,
            item.GetProperty("roundtrip_equal").GetBoolean()))];
    }

    private static IReadOnlyList<BpeCase> LoadBpeCases()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder("bpe-tiny"), "cases.json")));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(item => new BpeCase(
            item.GetProperty("name").GetString()!,
            item.GetProperty("text").GetString()!,
            Ints(item.GetProperty("ids")),
            Ints(item.GetProperty("ids_with_special")),
            Strings(item.GetProperty("tokens")),
            item.GetProperty("decoded").GetString()!,
            item.GetProperty("decoded_with_special").GetString()!))];
    }

    private static IReadOnlyList<(string, int[])> LoadFuzz() =>
        [.. File.ReadLines(Path.Combine(Folder("bpe-tiny"), "fuzz.jsonl"))
            .Where(line => line.Length > 0)
            .Select(line =>
            {
                using JsonDocument document = JsonDocument.Parse(line);
                return (document.RootElement.GetProperty("text").GetString()!, Ints(document.RootElement.GetProperty("ids")));
            })];

    public static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetInt32())];

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetString()!)];
}

/// <summary>One case of <c>spm-tiny/cases.json</c> (real SentencePiece 0.1.97 output, no bos/eos).</summary>
internal sealed record SpmCase(string Text, int[] Ids, string[] Pieces, string Decoded, bool RoundTripEqual);

/// <summary>One case of <c>bpe-tiny/cases.json</c> (transformers.js output, cross-checked).</summary>
internal sealed record BpeCase(string Name, string Text, int[] Ids, int[] IdsWithSpecial, string[] Tokens, string Decoded, string DecodedWithSpecial);
