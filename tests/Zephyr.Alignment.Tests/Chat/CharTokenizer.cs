using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Chat;

/// <summary>
/// A deterministic tokenizer for mask tests: special tokens and the given multi-character pieces are matched
/// whole (longest first), every other character is its own token (id = 1000 + code unit).
/// </summary>
internal sealed class CharTokenizer : ITokenizer
{
    private readonly List<string> _pieces;
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public CharTokenizer(
        string? bos = "<s>",
        string? eos = "</s>",
        bool addBos = true,
        bool addEos = false,
        IEnumerable<string>? specialTokens = null,
        IEnumerable<string>? pieces = null,
        string? chatTemplate = null)
    {
        ChatTemplate = chatTemplate;
        int next = 1;
        foreach (string special in new[] { bos, eos }.OfType<string>().Concat(specialTokens ?? []))
        {
            if (!_ids.ContainsKey(special))
            {
                _ids[special] = next++;
            }
        }

        foreach (string piece in pieces ?? [])
        {
            _ids.TryAdd(piece, 500 + _ids.Count);
        }

        _pieces = _ids.Keys.OrderByDescending(p => p.Length).ToList();
        BosToken = bos is null ? null : new SpecialToken(bos, _ids[bos]);
        EosToken = eos is null ? null : new SpecialToken(eos, _ids[eos]);
        AddBosToken = addBos;
        AddEosToken = addEos;
    }

    public int VocabularySize => 1000 + char.MaxValue + 1;

    public SpecialToken? BosToken { get; }

    public SpecialToken? EosToken { get; }

    public SpecialToken? UnkToken => null;

    public SpecialToken? PadToken => null;

    public bool AddBosToken { get; }

    public bool AddEosToken { get; }

    public string? ChatTemplate { get; }

    public int EncodeCalls { get; private set; }

    public bool? LastAddSpecialTokens { get; private set; }

    public EncodedText Encode(string text, bool addSpecialTokens = true)
    {
        EncodeCalls++;
        LastAddSpecialTokens = addSpecialTokens;
        var ids = new List<int>();
        var offsets = new List<Range>();
        if (addSpecialTokens && AddBosToken && BosToken is not null)
        {
            ids.Add(BosToken.Id);
            offsets.Add(0..0);
        }

        int i = 0;
        while (i < text.Length)
        {
            string? piece = _pieces.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0);
            int length = piece?.Length ?? 1;
            ids.Add(piece is null ? 1000 + text[i] : _ids[piece]);
            offsets.Add(i..(i + length));
            i += length;
        }

        if (addSpecialTokens && AddEosToken && EosToken is not null)
        {
            ids.Add(EosToken.Id);
            offsets.Add(text.Length..text.Length);
        }

        return new EncodedText(ids, offsets);
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) =>
        string.Concat(ids.Select(id => IdToToken(id) ?? string.Empty));

    public int? TokenToId(string token) =>
        _ids.TryGetValue(token, out int id) ? id : token.Length == 1 ? 1000 + token[0] : null;

    public string? IdToToken(int id) =>
        id >= 1000 ? ((char)(id - 1000)).ToString() : _ids.FirstOrDefault(p => p.Value == id).Key;
}
