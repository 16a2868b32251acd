using Zephyr.Alignment.Chat;

namespace Zephyr.Alignment.Tests.Chat;

/// <summary>
/// Each catalogue template's hand-written renderer and the Jinja interpreter running its source agree on text and
/// assistant spans, so a checkpoint renders the same whichever path is taken.
/// </summary>
public sealed class CatalogueEquivalenceTests
{
    public static TheoryData<string> Ids => [.. ChatTemplateRecognizer.Catalog.Select(entry => entry.Id)];

    [Theory]
    [MemberData(nameof(Ids))]
    public void Hand_written_and_interpreted_renderings_are_identical(string id)
    {
        ChatTemplateCatalogEntry entry = ChatTemplateRecognizer.Catalog.Single(e => e.Id == id);
        var jinja = new JinjaChatTemplate(entry.JinjaSource);
        bool systemAllowed = id is not ("mistral-instruct-v0.1-original" or "mistral-instruct-v0.2-original");
        IReadOnlyList<ConversationMessage>[] conversations =
        [
            [ConversationMessage.User("Hi"), ConversationMessage.Assistant("Hello! ")],
            [ConversationMessage.User(" q1 "), ConversationMessage.Assistant("a1"), ConversationMessage.User("q2\n"), ConversationMessage.Assistant(" a2")],
            .. systemAllowed ? new IReadOnlyList<ConversationMessage>[] { [ConversationMessage.System("Sys"), ConversationMessage.User("Q"), ConversationMessage.Assistant("A")] } : [],
        ];
        foreach (IReadOnlyList<ConversationMessage> conversation in conversations)
        {
            foreach (bool prompt in new[] { false, true })
            {
                var options = new ChatRenderOptions { AddGenerationPrompt = prompt };
                RenderedChat expected = entry.Template.Render(conversation, options);
                RenderedChat actual = jinja.Render(conversation, options);

                Assert.Equal(expected.Text, actual.Text);
                Assert.Equal(
                    expected.AssistantSpans.Select(s => (s.MessageIndex, expected.Text.Substring(s.Start, s.Length).Trim())),
                    actual.AssistantSpans.Select(s => (s.MessageIndex, actual.Text.Substring(s.Start, s.Length).Trim())));
            }
        }
    }
}
