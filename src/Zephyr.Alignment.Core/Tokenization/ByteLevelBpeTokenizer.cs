using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer read from a Hugging Face <c>tokenizer.json</c> (Llama-3, Qwen, GPT-2 style),
/// encoding as the Rust <c>tokenizers</c> library does.
/// </summary>
/// <remarks>
/// <para>
/// Pipeline: added tokens are cut out of the raw text first (longest match first, case-sensitive, whether or not
/// special tokens are requested); each remaining piece is optionally NFC-normalized, split by the pre-tokenizer's
/// patterns (<c>Split</c> with behavior Isolated, <c>Digits</c>, and the GPT-2 pattern of a <c>ByteLevel</c>
/// pre-tokenizer with <c>use_regex</c>), and each split is BPE-encoded over its UTF-8 bytes. With
/// <c>ignore_merges</c> a split that is itself a vocabulary token becomes that token directly. The merge step is
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (byte-level mode), which reproduces the reference exactly;
/// the added-token cut, the pre-tokenizer sequence, <c>ignore_merges</c> and the post-processor are done here
/// because <see cref="BpeOptions"/> cannot express them.
/// </para>
/// <para>
/// Special tokens: when <c>tokenizer.json</c> has a <c>TemplateProcessing</c> post-processor, encoding with
/// special tokens adds exactly what its <c>single</c> template says (Llama-3: bos only), and
/// <see cref="AddBosToken"/>/<see cref="AddEosToken"/> report that; without one, <c>add_bos_token</c> and
/// <c>add_eos_token</c> of <c>tokenizer_config.json</c> apply (default false).
/// </para>
/// <para>
/// Offsets: a token covers the characters its bytes came from; a token holding part of a character's bytes covers
/// that whole character, so neighbours can overlap. When NFC normalization changes a piece of text, every token of
/// that piece covers the whole piece. Decoding joins the bytes of consecutive tokens before reading UTF-8
/// (invalid sequences become U+FFFD), as the ByteLevel decoder does; with <c>clean_up_tokenization_spaces: true</c>
/// in <c>tokenizer_config.json</c> (Llama-3) the text is then cleaned up as transformers does (<c>" ."</c> to
/// <c>"."</c>, <c>" n't"</c> to <c>"n't"</c>, ...).
/// </para>
/// </remarks>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    private const int StackallocByteLimit = 512;

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabularyLookup;
    private readonly string?[] _idToToken;
    private readonly bool _ignoreMerges;
    private readonly bool _normalizeNfc;
    private readonly Regex[] _splitSteps;
    private readonly int[] _prefixIds;
    private readonly int[] _suffixIds;
    private readonly AddedTokenVocabulary _added;
    private readonly bool _cleanUpSpaces;

    private ByteLevelBpeTokenizer(TokenizerJsonDefinition definition, TokenizerConfiguration configuration, string jsonPath)
    {
        _vocabulary = definition.Vocabulary;
        _vocabularyLookup = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _ignoreMerges = definition.IgnoreMerges;
        _normalizeNfc = definition.NormalizeNfc;
        _splitSteps = [.. definition.SplitSteps];
        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(_vocabulary) { Merges = definition.Merges, ByteLevel = true });
        }
        catch (Exception exception) when (exception is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{jsonPath}': the BPE vocabulary or merges are inconsistent: {exception.Message}", exception);
        }

        TokenizerJsonSpecialTokens specials = TokenizerJsonSpecialTokens.Resolve(definition, configuration, jsonPath, configFlagsWin: false);
        _added = specials.Vocabulary;
        AddedTokens = specials.AddedTokens;
        BosToken = specials.Bos;
        EosToken = specials.Eos;
        UnkToken = specials.Unk;
        PadToken = specials.Pad;
        ChatTemplate = configuration.ChatTemplate;
        _prefixIds = specials.PrefixIds;
        _suffixIds = specials.SuffixIds;
        _cleanUpSpaces = configuration.CleanUpTokenizationSpaces == true;
        AddBosToken = specials.AddsBos;
        AddEosToken = specials.AddsEos;
        _idToToken = specials.IdToTokenTable(_vocabulary);
        VocabularySize = _idToToken.Length;
    }

    /// <summary>The tokens cut out of the text before pre-tokenization.</summary>
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

    /// <summary>Loads the tokenizer of a folder holding <c>tokenizer.json</c>.</summary>
    /// <param name="directory">The folder; <c>tokenizer_config.json</c> and <c>special_tokens_map.json</c> are optional.</param>
    /// <exception cref="FileNotFoundException">The folder has no <c>tokenizer.json</c>.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">The tokenizer is not byte-level BPE; the message names the part.</exception>
    public static ByteLevelBpeTokenizer FromFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string jsonPath = Path.Combine(directory, HuggingFaceTokenizer.TokenizerJsonFileName);
        return FromFile(jsonPath, TokenizerConfiguration.Read(directory));
    }

    /// <summary>Loads a <c>tokenizer.json</c> file, with no <c>tokenizer_config.json</c>.</summary>
    /// <param name="path">Path of the file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">The tokenizer is not byte-level BPE; the message names the part.</exception>
    public static ByteLevelBpeTokenizer FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return FromFile(path, new TokenizerConfiguration { ConfigPath = Path.Combine(directory, TokenizerConfiguration.ConfigFileName) });
    }

    private static ByteLevelBpeTokenizer FromFile(string path, TokenizerConfiguration configuration)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Tokenizer file '{path}' does not exist.", path);
        }

        return Create(TokenizerJsonDefinition.Read(path), configuration, path);
    }

    /// <summary>Builds the tokenizer from a parsed file (the file must be byte-level).</summary>
    internal static ByteLevelBpeTokenizer Create(TokenizerJsonDefinition definition, TokenizerConfiguration configuration, string path)
    {
        if (!definition.IsByteLevel)
        {
            throw new NotSupportedException(
                $"'{path}': a pre_tokenizer without ByteLevel is a SentencePiece-style tokenizer; load it with {nameof(SentencePieceJsonTokenizer)} or {nameof(HuggingFaceTokenizer)}.{nameof(HuggingFaceTokenizer.FromFolder)}.");
        }

        return new ByteLevelBpeTokenizer(definition, configuration, path);
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
        var bytes = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _added.IsSpecial(id))
            {
                continue;
            }

            if (_added.TryGetById(id, out AddedToken? added))
            {
                // Added tokens are not byte-level strings: their text is written as is.
                Encoding.UTF8.GetBytes(added.Content, bytes);
                continue;
            }

            string token = (uint)id < (uint)_idToToken.Length ? _idToToken[id] ?? string.Empty : string.Empty;
            if (token.Length == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Id {id} is not a token of this tokenizer.");
            }

            Span<byte> destination = bytes.GetSpan(token.Length);
            for (int i = 0; i < token.Length; i++)
            {
                if (!ByteLevelAlphabet.TryGetByte(token[i], out destination[i]))
                {
                    throw new InvalidOperationException($"Token {id} '{token}' holds a character outside the byte-level alphabet.");
                }
            }

            bytes.Advance(token.Length);
        }

        string text = Encoding.UTF8.GetString(bytes.WrittenSpan);
        return _cleanUpSpaces ? TokenizationSpaces.CleanUp(text) : text;
    }

    /// <inheritdoc />
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_added.TryGetByContent(token, out AddedToken? added))
        {
            return added.Id;
        }

        return _vocabulary.TryGetValue(token, out int id) ? id : null;
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
        ReadOnlySpan<char> span = text.AsSpan(start, length);
        if (_normalizeNfc && !span.IsNormalized(NormalizationForm.FormC))
        {
            string normalized = span.ToString().Normalize(NormalizationForm.FormC);
            int before = offsets.Count;
            PreTokenize(normalized, 0, normalized.Length, 0, ids, offsets);

            // Normalization moved characters, so each token is reported as covering the whole piece.
            for (int i = before; i < offsets.Count; i++)
            {
                offsets[i] = new Range(start, start + length);
            }

            return;
        }

        PreTokenize(text, start, length, 0, ids, offsets);
    }

    private void PreTokenize(string text, int start, int length, int step, List<int> ids, List<Range> offsets)
    {
        if (step == _splitSteps.Length)
        {
            EncodeWord(text, start, length, ids, offsets);
            return;
        }

        // Isolated: each match is a split, and so is each gap between matches (tokenizers drops empty matches).
        int position = start;
        foreach (ValueMatch match in _splitSteps[step].EnumerateMatches(text.AsSpan(start, length)))
        {
            if (match.Length == 0)
            {
                continue;
            }

            int matchStart = start + match.Index;
            if (matchStart > position)
            {
                PreTokenize(text, position, matchStart - position, step + 1, ids, offsets);
            }

            PreTokenize(text, matchStart, match.Length, step + 1, ids, offsets);
            position = matchStart + match.Length;
        }

        if (position < start + length)
        {
            PreTokenize(text, position, start + length - position, step + 1, ids, offsets);
        }
    }

    private void EncodeWord(string text, int start, int length, List<int> ids, List<Range> offsets)
    {
        ReadOnlySpan<char> word = text.AsSpan(start, length);
        if (_ignoreMerges && TryLookupWhole(word, out int wholeId))
        {
            ids.Add(wholeId);
            offsets.Add(new Range(start, start + length));
            return;
        }

        IReadOnlyList<int> wordIds = _bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false);

        // Map each token's byte range back to characters: a token starts in the character holding its first
        // byte and ends after the character holding its last byte.
        int charIndex = 0;
        int charByteStart = 0;
        int byteCursor = 0;
        foreach (int id in wordIds)
        {
            int byteEnd = byteCursor + _idToToken[id]!.Length;
            while (charByteStart + Utf8Length(word, charIndex) <= byteCursor)
            {
                charByteStart += Utf8Length(word, charIndex);
                charIndex += Utf16Length(word, charIndex);
            }

            int endIndex = charIndex;
            int endByteStart = charByteStart;
            while (endByteStart + Utf8Length(word, endIndex) < byteEnd)
            {
                endByteStart += Utf8Length(word, endIndex);
                endIndex += Utf16Length(word, endIndex);
            }

            ids.Add(id);
            offsets.Add(new Range(start + charIndex, start + endIndex + Utf16Length(word, endIndex)));
            byteCursor = byteEnd;
        }
    }

    private bool TryLookupWhole(ReadOnlySpan<char> word, out int id)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(word.Length);
        byte[]? rentedBytes = null;
        char[]? rentedChars = null;
        try
        {
            Span<byte> bytes = maxBytes <= StackallocByteLimit ? stackalloc byte[StackallocByteLimit] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
            int byteCount = Encoding.UTF8.GetBytes(word, bytes);
            Span<char> mapped = byteCount <= StackallocByteLimit ? stackalloc char[StackallocByteLimit] : (rentedChars = ArrayPool<char>.Shared.Rent(byteCount));
            for (int i = 0; i < byteCount; i++)
            {
                mapped[i] = ByteLevelAlphabet.ToChar(bytes[i]);
            }

            return _vocabularyLookup.TryGetValue(mapped[..byteCount], out id);
        }
        finally
        {
            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
            }

            if (rentedChars is not null)
            {
                ArrayPool<char>.Shared.Return(rentedChars);
            }
        }
    }

    /// <summary>UTF-8 byte count of the character at <paramref name="index"/> (a surrogate pair counts once).</summary>
    private static int Utf8Length(ReadOnlySpan<char> text, int index)
    {
        if (index >= text.Length)
        {
            return int.MaxValue / 2;
        }

        char c = text[index];
        if (c < 0x80)
        {
            return 1;
        }

        if (c < 0x800)
        {
            return 2;
        }

        return Utf16Length(text, index) == 2 ? 4 : 3;
    }

    /// <summary>2 for a surrogate pair starting at <paramref name="index"/>, else 1.</summary>
    private static int Utf16Length(ReadOnlySpan<char> text, int index) =>
        index + 1 < text.Length && char.IsHighSurrogate(text[index]) && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
}
