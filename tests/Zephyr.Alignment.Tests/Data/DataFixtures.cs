using System.Text.Json;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Data;

/// <summary>The dataset fixtures of Fixtures/data (see PROVENANCE.md there), read independently of the library's readers.</summary>
internal static class DataFixtures
{
    public static string PathOf(string name) => TestPaths.Fixture("data", name);

    public static string BadPathOf(string name) => TestPaths.Fixture("data", "bad", name);

    private static readonly Lazy<JsonDocument> ExpectedDocument = new(() => JsonDocument.Parse(File.ReadAllText(PathOf("expected.json"))));

    public static JsonElement Expected => ExpectedDocument.Value.RootElement;

    public static JsonElement ExpectedFile(string name) => Expected.GetProperty("files").GetProperty(name);

    /// <summary>The sampled rows of <paramref name="file"/>: (0-based index, row object).</summary>
    public static IEnumerable<(int Index, JsonElement Row)> Samples(string file) =>
        ExpectedFile(file).GetProperty("samples").EnumerateArray().Select(s => (s.GetProperty("index").GetInt32(), s.GetProperty("row")));

    /// <summary>The feature index lists (e.g. <c>non_bmp</c>, <c>crlf</c>) of <paramref name="file"/>.</summary>
    public static int[] Feature(string file, string feature) =>
        ExpectedFile(file).GetProperty("features").GetProperty(feature).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>Every line of a JSON Lines twin parsed with System.Text.Json directly.</summary>
    public static JsonElement[] JsonLines(string name) =>
        File.ReadAllLines(PathOf(name)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();

    public static ConversationMessage[] Messages(JsonElement array) =>
        array.EnumerateArray()
            .Select(m =>
            {
                Assert.True(MessageRoles.TryParse(m.GetProperty("role").GetString(), out MessageRole role));
                return new ConversationMessage(role, m.GetProperty("content").GetString()!);
            })
            .ToArray();

    public static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (T item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
