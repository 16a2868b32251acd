namespace Zephyr.Alignment.Tokenization;

/// <summary>A piece of the input: either plain text for the model or one matched added token.</summary>
/// <param name="Start">Index of the first character in the input.</param>
/// <param name="Length">Number of characters (for a token, including whitespace it strips).</param>
/// <param name="Token">The added token matched here, or <see langword="null"/> for plain text.</param>
internal readonly record struct TextSegment(int Start, int Length, AddedToken? Token);
