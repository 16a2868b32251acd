namespace Zephyr.Alignment.Tokenization;

/// <summary>The result of <see cref="ITokenizer.Encode"/>.</summary>
/// <param name="Ids">Token ids.</param>
/// <param name="Offsets">
/// Per id, the character range of the source text it covers; added tokens (bos/eos) have an empty range at
/// the position where they were inserted.
/// </param>
public sealed record EncodedText(IReadOnlyList<int> Ids, IReadOnlyList<Range> Offsets);
