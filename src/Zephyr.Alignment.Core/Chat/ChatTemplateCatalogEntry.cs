namespace Zephyr.Alignment.Chat;

/// <summary>One Jinja <c>chat_template</c> source that <see cref="ChatTemplateRecognizer"/> knows.</summary>
/// <param name="Id">A stable identifier, e.g. <c>llama-2-chat</c>.</param>
/// <param name="Description">Which checkpoints ship this template, and where the source text was taken from.</param>
/// <param name="JinjaSource">The template source as published (the decoded JSON string).</param>
/// <param name="Template">The template that renders exactly what this source renders.</param>
public sealed record ChatTemplateCatalogEntry(string Id, string Description, string JinjaSource, IChatTemplate Template)
{
    /// <summary>The canonical form of <see cref="JinjaSource"/> that inputs are compared against.</summary>
    internal string CanonicalSource { get; } =
        JinjaCanonicalForm.Canonicalize(JinjaSource)
        ?? throw new ArgumentException($"Catalogue entry '{Id}' has a Jinja source that does not parse.", nameof(JinjaSource));
}
