namespace Zephyr.Alignment.Tokenization;

/// <summary>A special token: its text as written in templates (e.g. <c>&lt;/s&gt;</c>) and its id.</summary>
/// <param name="Text">The token's string form.</param>
/// <param name="Id">The token's id.</param>
public sealed record SpecialToken(string Text, int Id);
