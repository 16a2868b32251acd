using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A BPE tokenizer read from a Hugging Face <c>tokenizer.json</c> in the SentencePiece-style form that Llama-2,
/// Mistral, TinyLlama and Gemma publish: <c>Prepend</c>/<c>Replace</c> normalizers or a <c>Metaspace</c>
/// pre-tokenizer turn spaces into <c>▁</c>, the BPE model merges characters by merge rank, and
/// <c>byte_fallback</c> spells characters outside the vocabulary as <c>&lt;0xXX&gt;</c> byte tokens. Encodes and
/// decodes as the Rust <c>tokenizers</c> library does.
/// </summary>
/// <remarks>
/// <para>
/// Pipeline: added tokens are cut out of the raw text first (longest match first); each remaining piece is
/// normalized (<c>Prepend</c>, <c>Replace</c>, <c>NFC</c>/<c>NFD</c>/<c>NFKC</c>/<c>NFKD</c>, in the file's order),
/// pre-tokenized (<c>Metaspace</c> with <c>prepend_scheme</c> <c>always</c>/<c>first</c>/<c>never</c> and
/// <c>split</c>; <c>Split</c> with any behavior; <c>Digits</c>), and each word is BPE-encoded
/// (<see cref="MergeRankBpeModel"/>). Decoding runs the file's decoders (<c>Replace</c>, <c>ByteFallback</c>,
/// <c>Fuse</c>, <c>Strip</c>, <c>Metaspace</c>) over the token strings, added tokens included.
/// </para>
/// <para>
/// <b><c>legacy</c>.</b> When <c>tokenizer_config.json</c> names a <c>LlamaTokenizer</c> with <c>legacy: false</c>
/// (TinyLlama, many fine-tunes), the file's normalizer and pre-tokenizer are replaced as transformers'
/// <c>LlamaConverter</c> builds them for <c>legacy: false</c>, and as transformers.js and this library's
/// <see cref="SentencePieceTokenizer"/> (for <c>tokenizer.model</c>) behave: spaces become <c>▁</c>, and one
/// <c>▁</c> is put before the text itself only (not after each added token), unless <c>add_prefix_space</c> is
/// false. So a folder encodes the same whether it ships <c>tokenizer.model</c> or only <c>tokenizer.json</c>.
/// (Python's fast tokenizer applies <c>legacy</c> only when it converts from <c>tokenizer.model</c>; given only
/// <c>tokenizer.json</c> it uses the file as written.) With <c>legacy</c> true or absent the file is used as written.
/// </para>
/// <para>
/// Special tokens: explicit <c>add_bos_token</c>/<c>add_eos_token</c> in <c>tokenizer_config.json</c> decide what
/// encoding with special tokens adds, as transformers' Llama and Gemma fast tokenizers rebuild their
/// post-processor from them; otherwise the file's <c>TemplateProcessing</c> post-processor does.
/// </para>
/// <para>Offsets: each id covers the original characters it came from; an inserted <c>▁</c> covers none, and the
/// byte tokens of a character each cover that character.</para>
/// </remarks>
public sealed class SentencePieceJsonTokenizer : ITokenizer
{
    private const char MetaspaceChar = '\u2581';
    private static readonly Regex Space = new(" ", RegexOptions.CultureInvariant);

    private readonly MergeRankBpeModel _model;
    private readonly string?[] _idToToken;
    private readonly ITextNormalizer[] _normalizers;
    private readonly IPreTokenizer[] _preTokenizers;
    private readonly ITokenDecoder[] _decoders;
    private readonly bool _hasDecoder;
    private readonly bool _cleanUpSpaces;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;
    private readonly AddedTokenVocabulary _added;

    private SentencePieceJsonTokenizer(TokenizerJsonDefinition definition, TokenizerConfiguration configuration, string jsonPath)
    {
        _model = new MergeRankBpeModel(definition, jsonPath);
        TokenizerJsonSpecialTokens specials = TokenizerJsonSpecialTokens.Resolve(definition, configuration, jsonPath, configFlagsWin: true);
        _added = specials.Vocabulary;
        AddedTokens = specials.AddedTokens;
        BosToken = specials.Bos;
        EosToken = specials.Eos;
        UnkToken = specials.Unk;
        PadToken = specials.Pad;
        _prefixIds = specials.PrefixIds;
        _suffixIds = specials.SuffixIds;
        AddBosToken = specials.AddsBos;
        AddEosToken = specials.AddsEos;
        ChatTemplate = configuration.ChatTemplate;
        _cleanUpSpaces = configuration.CleanUpTokenizationSpaces == true;
        _decoders = [.. definition.Decoders];
        _hasDecoder = definition.HasDecoder;

        Legacy = !(configuration.Legacy == false && configuration.TokenizerClass is "LlamaTokenizer" or "LlamaTokenizerFast");
        AddPrefixSpace = configuration.AddPrefixSpace ?? true;
        if (Legacy)
        {
            _normalizers = [.. definition.Normalizers];
            _preTokenizers = [.. definition.PreTokenizers];
        }
        else
        {
            _normalizers = [];
            _preTokenizers = [];
        }

        _idToToken = specials.IdToTokenTable(definition.Vocabulary);
        VocabularySize = _idToToken.Length;
    }

    /// <summary>The tokens cut out of the text before normalization.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>
    /// False when <c>tokenizer_config.json</c> names a <c>LlamaTokenizer</c> with <c>legacy: false</c>: then only the
    /// text's own start gets the <c>▁</c> prefix (see the remarks). True otherwise: the file is used as written.
    /// </summary>
    public bool Legacy { get; }

    /// <summary><c>add_prefix_space</c> of <c>tokenizer_config.json</c> (default true); used when <see cref="Legacy"/> is false.</summary>
    public bool AddPrefixSpace { get; }

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

    /// <summary>Loads the tokenizer of a folder holding a SentencePiece-style <c>tokenizer.json</c>.</summary>
    /// <param name="directory">The folder; <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> are optional.</param>
    /// <exception cref="FileNotFoundException">The folder has no <c>tokenizer.json</c>.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">The file is byte-level BPE or uses a part this class does not implement; the message names it.</exception>
    public static SentencePieceJsonTokenizer FromFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string path = Path.Combine(directory, HuggingFaceTokenizer.TokenizerJsonFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tokenizer file '{path}' does not exist.", path);
        }

        return Create(TokenizerJsonDefinition.Read(path), TokenizerConfiguration.Read(directory), path);
    }

    /// <summary>Builds the tokenizer from a parsed file (the file must not be byte-level).</summary>
    internal static SentencePieceJsonTokenizer Create(TokenizerJsonDefinition definition, TokenizerConfiguration configuration, string path)
    {
        if (definition.IsByteLevel)
        {
            throw new NotSupportedException($"'{path}' is a byte-level BPE tokenizer; load it with {nameof(ByteLevelBpeTokenizer)} or {nameof(HuggingFaceTokenizer)}.{nameof(HuggingFaceTokenizer.FromFolder)}.");
        }

        return new SentencePieceJsonTokenizer(definition, configuration, path);
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
    /// <exception cref="ArgumentOutOfRangeException">An id is not a token of this tokenizer.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _added.IsSpecial(id))
            {
                continue;
            }

            string? token = _added.TryGetById(id, out AddedToken? added)
                ? added.Content
                : (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
            tokens.Add(token ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is not a token of this tokenizer."));
        }

        string text;
        if (_hasDecoder)
        {
            foreach (ITokenDecoder decoder in _decoders)
            {
                tokens = decoder.Decode(tokens);
            }

            text = string.Concat(tokens);
        }
        else
        {
            // tokenizers joins the tokens with spaces when the file has no decoder.
            text = string.Join(' ', tokens);
        }

        return _cleanUpSpaces ? TokenizationSpaces.CleanUp(text) : text;
    }

    /// <inheritdoc />
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _added.TryGetByContent(token, out AddedToken? added) ? added.Id : _model.TokenToId(token);
    }

    /// <inheritdoc />
    public string? IdToToken(int id)
    {
        if (_added.TryGetById(id, out AddedToken? added))
        {
            return added.Content;
        }

        return (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;
    }

    private void EncodePlainText(string text, int start, int length, List<int> ids, List<Range> offsets)
    {
        var piece = new NormalizedText(text, start, length);
        if (!Legacy)
        {
            // LlamaConverter's legacy: false (Metaspace with prepend_scheme "first", split false), applied as the
            // slow tokenizer does: the text's own start always gets the prefix, even when it starts with a space.
            piece.Replace(Space, MetaspaceChar.ToString());
            if (AddPrefixSpace && start == 0)
            {
                piece.Prepend(MetaspaceChar.ToString());
            }

            EncodeWord(piece, ids, offsets);
            return;
        }

        foreach (ITextNormalizer normalizer in _normalizers)
        {
            normalizer.Normalize(piece);
        }

        List<NormalizedText> words = [piece];
        foreach (IPreTokenizer preTokenizer in _preTokenizers)
        {
            var next = new List<NormalizedText>(words.Count);
            foreach (NormalizedText word in words)
            {
                preTokenizer.PreTokenize(word, next);
            }

            words = next;
        }

        foreach (NormalizedText word in words)
        {
            EncodeWord(word, ids, offsets);
        }
    }

    private void EncodeWord(NormalizedText word, List<int> ids, List<Range> offsets)
    {
        var ranges = new List<(int Start, int Length)>();
        int before = ids.Count;
        _model.Encode(word.Text, ids, ranges);
        for (int i = 0; i < ids.Count - before; i++)
        {
            offsets.Add(word.OriginalRange(ranges[i].Start, ranges[i].Length));
        }
    }
}
