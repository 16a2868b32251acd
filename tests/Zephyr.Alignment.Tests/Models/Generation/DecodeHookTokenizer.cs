using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>
/// A real tokenizer that calls <c>onDecode</c> with the 1-based count before each decode. The generator decodes once per
/// step when stop strings are set, so this lets a test act between steps (cancel, throw).
/// </summary>
internal sealed class DecodeHookTokenizer(ITokenizer inner, Action<int> onDecode) : ITokenizer
{
    private int decodes;

    public int VocabularySize => inner.VocabularySize;

    public SpecialToken? BosToken => inner.BosToken;

    public SpecialToken? EosToken => inner.EosToken;

    public SpecialToken? UnkToken => inner.UnkToken;

    public SpecialToken? PadToken => inner.PadToken;

    public bool AddBosToken => inner.AddBosToken;

    public bool AddEosToken => inner.AddEosToken;

    public string? ChatTemplate => inner.ChatTemplate;

    public EncodedText Encode(string text, bool addSpecialTokens = true) => inner.Encode(text, addSpecialTokens);

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        onDecode(++decodes);
        return inner.Decode(ids, skipSpecialTokens);
    }

    public int? TokenToId(string token) => inner.TokenToId(token);

    public string? IdToToken(int id) => inner.IdToToken(id);
}
