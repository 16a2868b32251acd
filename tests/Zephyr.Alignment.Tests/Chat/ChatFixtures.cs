using System.Text.Json;
using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

/// <summary>Reads the files of Fixtures/chat (see PROVENANCE.md there).</summary>
internal static class ChatFixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat", name);

    public static JsonDocument Load(string name) => JsonDocument.Parse(File.ReadAllText(PathOf(name)));

    public static ConversationMessage[] Messages(JsonElement array) =>
        array.EnumerateArray()
            .Select(m =>
            {
                Assert.True(MessageRoles.TryParse(m.GetProperty("role").GetString(), out MessageRole role));
                return new ConversationMessage(role, m.GetProperty("content").GetString()!);
            })
            .ToArray();

    /// <summary>The text of each assistant span, in order.</summary>
    public static string[] SpanTexts(RenderedChat rendered) =>
        rendered.AssistantSpans.Select(s => rendered.Text.Substring(s.Start, s.Length)).ToArray();
}
