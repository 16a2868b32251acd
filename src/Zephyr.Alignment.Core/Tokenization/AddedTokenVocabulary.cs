using System.Diagnostics.CodeAnalysis;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// The added and special tokens of a tokenizer, and the encode pipeline every tokenizer of this library shares
/// around its own model: the prefix ids (e.g. bos), the added tokens cut out of the text, the model's encoding of
/// the text between them, then the suffix ids (e.g. eos), each with its character range.
/// </summary>
/// <remarks>Filled while the owning tokenizer is built; read-only, and safe to share across threads, after that.</remarks>
internal sealed class AddedTokenVocabulary
{
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<int, AddedToken> _byId = [];
    private readonly Dictionary<string, AddedToken> _byContent = new(StringComparer.Ordinal);
    private readonly HashSet<int> _specialIds;

    /// <summary>Creates the vocabulary.</summary>
    /// <param name="tokens">The tokens cut out of text; the <see cref="AddedToken.Special"/> ones count as special.</param>
    /// <param name="lookup">
    /// The tokens that ids and texts resolve to, in priority order: for each id and each text the first token wins.
    /// Usually <paramref name="tokens"/> itself.
    /// </param>
    public AddedTokenVocabulary(IReadOnlyList<AddedToken> tokens, IEnumerable<AddedToken> lookup)
    {
        foreach (AddedToken token in lookup)
        {
            _byId.TryAdd(token.Id, token);
            _byContent.TryAdd(token.Content, token);
        }

        _splitter = new AddedTokenSplitter(tokens);
        _specialIds = [.. tokens.Where(token => token.Special).Select(token => token.Id)];
    }

    /// <summary>Encodes the text between added tokens into <paramref name="ids"/> and their <paramref name="offsets"/>.</summary>
    /// <param name="text">The whole text.</param>
    /// <param name="start">Where the piece starts in <paramref name="text"/>.</param>
    /// <param name="length">The piece's length; never 0.</param>
    /// <param name="ids">Receives the ids.</param>
    /// <param name="offsets">Receives each id's character range in <paramref name="text"/>.</param>
    public delegate void PlainTextEncoder(string text, int start, int length, List<int> ids, List<Range> offsets);

    /// <summary>Marks ids that <c>skipSpecialTokens</c> leaves out of decoding, besides the special added tokens.</summary>
    /// <param name="ids">The ids.</param>
    public void AddSpecialIds(IEnumerable<int> ids) => _specialIds.UnionWith(ids);

    /// <summary>Marks the named special tokens (bos, eos, unk, pad) that are set as special.</summary>
    /// <param name="tokens">The tokens; <see langword="null"/> entries are passed over.</param>
    public void AddSpecialTokens(params ReadOnlySpan<SpecialToken?> tokens)
    {
        foreach (SpecialToken? special in tokens)
        {
            if (special is not null)
            {
                _specialIds.Add(special.Id);
            }
        }
    }

    /// <summary>Whether decoding with <c>skipSpecialTokens</c> leaves <paramref name="id"/> out.</summary>
    /// <param name="id">The id.</param>
    public bool IsSpecial(int id) => _specialIds.Contains(id);

    /// <summary>The added token of an id.</summary>
    /// <param name="id">The id.</param>
    /// <param name="token">The token, when there is one.</param>
    public bool TryGetById(int id, [NotNullWhen(true)] out AddedToken? token) => _byId.TryGetValue(id, out token);

    /// <summary>The added token of a text.</summary>
    /// <param name="content">The token's text.</param>
    /// <param name="token">The token, when there is one.</param>
    public bool TryGetByContent(string content, [NotNullWhen(true)] out AddedToken? token) => _byContent.TryGetValue(content, out token);

    /// <summary>
    /// Encodes <paramref name="text"/>: <paramref name="prefixIds"/> with empty ranges at the start, then the added
    /// tokens (each covering its match) and the text between them through <paramref name="encodePlainText"/>, then
    /// <paramref name="suffixIds"/> with empty ranges at the end.
    /// </summary>
    /// <param name="text">The input.</param>
    /// <param name="prefixIds">The ids put first, none when special tokens are not requested.</param>
    /// <param name="suffixIds">The ids put last, none when special tokens are not requested.</param>
    /// <param name="encodePlainText">The owning tokenizer's model.</param>
    public EncodedText Encode(string text, ReadOnlySpan<int> prefixIds, ReadOnlySpan<int> suffixIds, PlainTextEncoder encodePlainText)
    {
        var ids = new List<int>(text.Length / 3 + 2);
        var offsets = new List<Range>(ids.Capacity);
        foreach (int id in prefixIds)
        {
            ids.Add(id);
            offsets.Add(new Range(0, 0));
        }

        List<TextSegment> segments = SegmentBuffer.Rent();
        _splitter.Split(text, segments);
        foreach (TextSegment segment in segments)
        {
            if (segment.Token is not null)
            {
                ids.Add(segment.Token.Id);
                offsets.Add(new Range(segment.Start, segment.Start + segment.Length));
            }
            else
            {
                encodePlainText(text, segment.Start, segment.Length, ids, offsets);
            }
        }

        foreach (int id in suffixIds)
        {
            ids.Add(id);
            offsets.Add(new Range(text.Length, text.Length));
        }

        return new EncodedText(ids, offsets);
    }
}
