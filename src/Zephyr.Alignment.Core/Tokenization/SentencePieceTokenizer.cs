using System.Text;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A Hugging Face <c>LlamaTokenizer</c>-style tokenizer over a SentencePiece BPE model (Llama-2, Mistral, Zephyr
/// checkpoints): <see cref="SentencePieceBpeModel"/> plus added and special tokens.
/// </summary>
/// <remarks>
/// <para>
/// Encoding: added tokens (every <c>added_tokens_decoder</c> entry, bos/eos/unk/pad and
/// <c>additional_special_tokens</c>) are first cut out of the text, longest match first, and become their ids;
/// the text between them goes to SentencePiece. With <c>legacy: false</c> (the fixture and Zephyr configs) the
/// dummy prefix <c>▁</c> is added only where the text itself starts (and only when <c>add_prefix_space</c> is not
/// false), not after each added token: <c>"&lt;s&gt;Hi"</c> gives <c>&lt;s&gt;</c>, <c>Hi</c>. With
/// <c>legacy: true</c> (the default when the key is absent, as in transformers) every piece of text between added
/// tokens is encoded on its own with the model's dummy prefix. For text with no added tokens the ids equal
/// plain SentencePiece's, leading spaces included: this follows the Python (slow) <c>LlamaTokenizer</c>; the
/// Rust (fast) one's <c>Metaspace</c> pre-tokenizer adds no prefix when the text already starts with a space.
/// </para>
/// <para>
/// Offsets: each id covers the characters it came from; the dummy prefix covers none, so a piece <c>▁Hi</c> at
/// the start covers <c>Hi</c> and a lone dummy <c>▁</c> has an empty range. Byte-fallback pieces each cover their
/// whole character; bos/eos have empty ranges at the start/end.
/// </para>
/// <para>
/// Decoding follows the fast tokenizer's decoder: <c>▁</c> becomes a space, consecutive byte pieces are joined as
/// UTF-8, added and control tokens appear as their text unless skipped, and one leading space is removed from the
/// result (the dummy prefix) when <c>add_prefix_space</c> is not false.
/// </para>
/// </remarks>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private readonly AddedTokenVocabulary _added;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;

    internal SentencePieceTokenizer(SentencePieceBpeModel model, SentencePieceTokenizerSettings settings)
    {
        Model = model;
        Legacy = settings.Legacy;
        AddPrefixSpace = settings.AddPrefixSpace;
        BosToken = settings.Bos;
        EosToken = settings.Eos;
        UnkToken = settings.Unk;
        PadToken = settings.Pad;
        AddBosToken = settings.AddBos && settings.Bos is not null;
        AddEosToken = settings.AddEos && settings.Eos is not null;
        ChatTemplate = settings.ChatTemplate;
        AddedTokens = settings.AddedTokens;

        _prefixIds = AddBosToken ? [BosToken!.Id] : [];
        _suffixIds = AddEosToken ? [EosToken!.Id] : [];
        _added = new AddedTokenVocabulary(settings.AddedTokens, settings.AddedTokens);
        _added.AddSpecialTokens(BosToken, EosToken, UnkToken, PadToken);
        _added.AddSpecialIds(Enumerable.Range(0, model.Count).Where(id => model.GetPieceType(id) is SentencePieceType.Control or SentencePieceType.Unknown));

        int maxAddedId = settings.AddedTokens.Count == 0 ? -1 : settings.AddedTokens.Max(token => token.Id);
        VocabularySize = Math.Max(model.Count, maxAddedId + 1);
    }

    /// <summary>The SentencePiece model underneath.</summary>
    public SentencePieceBpeModel Model { get; }

    /// <summary>
    /// <c>legacy</c> of <c>tokenizer_config.json</c>: when true every piece of text between added tokens gets its
    /// own dummy prefix. Defaults to true when absent, as in transformers.
    /// </summary>
    public bool Legacy { get; }

    /// <summary><c>add_prefix_space</c> of <c>tokenizer_config.json</c> (default true): put <c>▁</c> before the text.</summary>
    public bool AddPrefixSpace { get; }

    /// <summary>The tokens cut out of the text before SentencePiece runs.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <inheritdoc />
    public SpecialToken? BosToken { get; }

    /// <inheritdoc />
    public SpecialToken? EosToken { get; }

    /// <inheritdoc />
    public SpecialToken? UnkToken { get; }

    /// <inheritdoc />
    public SpecialToken? PadToken { get; }

    /// <inheritdoc />
    public bool AddBosToken { get; }

    /// <inheritdoc />
    public bool AddEosToken { get; }

    /// <inheritdoc />
    public string? ChatTemplate { get; }

    /// <summary>Loads the tokenizer of a checkpoint folder holding <c>tokenizer.model</c>.</summary>
    /// <param name="directory">The folder; <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> are optional.</param>
    /// <exception cref="FileNotFoundException">The folder has no <c>tokenizer.model</c>.</exception>
    /// <exception cref="InvalidDataException">A file is invalid; the message names it.</exception>
    public static SentencePieceTokenizer FromFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string modelPath = Path.Combine(directory, HuggingFaceTokenizer.SentencePieceModelFileName);
        SentencePieceBpeModel model = SentencePieceBpeModel.FromFile(modelPath);
        TokenizerConfiguration configuration = TokenizerConfiguration.Read(directory);
        return new SentencePieceTokenizer(model, SentencePieceTokenizerSettings.Resolve(model, modelPath, configuration));
    }

    /// <inheritdoc />
    public EncodedText Encode(string text, bool addSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return addSpecialTokens
            ? _added.Encode(text, _prefixIds, _suffixIds, EncodePlainText)
            : _added.Encode(text, [], [], EncodePlainText);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">An id is not in <c>0 .. VocabularySize-1</c>.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var pendingBytes = new List<byte>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _added.IsSpecial(id))
            {
                continue;
            }

            if (_added.TryGetById(id, out AddedToken? added))
            {
                SentencePieceBpeModel.AppendUtf8Bytes(text, pendingBytes);
                text.Append(added.Content);
                continue;
            }

            if ((uint)id >= (uint)Model.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is outside the vocabulary of {VocabularySize}.");
            }

            if (Model.TryGetByte(id, out byte value))
            {
                pendingBytes.Add(value);
                continue;
            }

            SentencePieceBpeModel.AppendUtf8Bytes(text, pendingBytes);
            SentencePieceBpeModel.AppendUnescaped(text, Model.IdToPiece(id));
        }

        SentencePieceBpeModel.AppendUtf8Bytes(text, pendingBytes);
        if (AddPrefixSpace && text.Length > 0 && text[0] == ' ')
        {
            text.Remove(0, 1);
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _added.TryGetByContent(token, out AddedToken? added) ? added.Id : Model.PieceToId(token);
    }

    /// <inheritdoc />
    public string? IdToToken(int id)
    {
        if (_added.TryGetById(id, out AddedToken? added))
        {
            return added.Content;
        }

        return (uint)id < (uint)Model.Count ? Model.IdToPiece(id) : null;
    }

    private void EncodePlainText(string text, int start, int length, List<int> ids, List<Range> offsets)
    {
        // Without legacy, only the text's own start gets the dummy prefix, not the text after an added token.
        bool dummyPrefix = Legacy ? Model.AddDummyPrefix : AddPrefixSpace && start == 0;
        Model.Encode(text.AsSpan(start, length), start, dummyPrefix, ids, offsets);
    }
}
