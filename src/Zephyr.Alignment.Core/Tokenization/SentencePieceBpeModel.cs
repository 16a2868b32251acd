using System.Text;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A SentencePiece BPE model (<c>tokenizer.model</c> of Llama-2, Mistral, Zephyr), encoding exactly as
/// SentencePiece's <c>bpe::Model</c> does. This is plain SentencePiece: special-token strings in the text are
/// ordinary characters here; <see cref="SentencePieceTokenizer"/> adds Hugging Face's handling on top.
/// </summary>
/// <remarks>
/// <para>
/// Encoding: the text is normalized as the model's <c>normalizer_spec</c> says (identity rules only: optional
/// removal of leading, trailing and repeated spaces, the dummy prefix <c>▁</c>, spaces escaped to <c>▁</c>),
/// split into characters (user-defined pieces are matched whole, longest first, and never merged), and then the
/// adjacent pair whose concatenation is a vocabulary piece with the highest score is merged, again and again.
/// <b>Ties go to the leftmost pair</b>, as SentencePiece's priority queue orders them; Microsoft.ML.Tokenizers
/// 2.0.1's <c>LlamaTokenizer</c> breaks such ties differently and gets runs of spaces wrong.
/// Merges through an <see cref="SentencePieceType.Unused"/> piece are split back into their parts, so unused
/// pieces are never produced. A character with no piece becomes the byte pieces <c>&lt;0xXX&gt;</c> of its UTF-8
/// bytes when <see cref="ByteFallback"/> is on, else the unknown piece.
/// </para>
/// <para>Instances are immutable and safe to share between threads.</para>
/// </remarks>
public sealed class SentencePieceBpeModel
{
    private const char SpaceSymbol = '\u2581';

    [ThreadStatic]
    private static SentencePieceEncodeScratch? t_scratch;

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly SentencePieceType[] _types;

    // Pieces that merging may produce (NORMAL, USER_DEFINED, UNUSED), as SentencePiece's `pieces_`.
    private readonly Dictionary<string, int> _mergeablePieces;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _mergeableLookup;

    // UNKNOWN, CONTROL and BYTE pieces, as SentencePiece's `reserved_id_map_`.
    private readonly Dictionary<string, int> _reservedPieces;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _reservedLookup;

    private readonly int[] _byteToId;

    // User-defined pieces by first character, longest first, for the whole-piece prefix match.
    private readonly Dictionary<char, string[]> _userDefinedByFirstChar;

    private SentencePieceBpeModel(SentencePieceModelProto proto, string source)
    {
        _pieces = [.. proto.Pieces];
        _scores = [.. proto.Scores];
        _types = [.. proto.Types];
        _mergeablePieces = new Dictionary<string, int>(StringComparer.Ordinal);
        _reservedPieces = new Dictionary<string, int>(StringComparer.Ordinal);
        _byteToId = new int[256];
        Array.Fill(_byteToId, -1);
        UnknownId = -1;
        var userDefined = new List<string>();

        for (int id = 0; id < _pieces.Length; id++)
        {
            string piece = _pieces[id];
            SentencePieceType type = _types[id];
            bool mergeable = type is SentencePieceType.Normal or SentencePieceType.UserDefined or SentencePieceType.Unused;
            if (!(mergeable ? _mergeablePieces : _reservedPieces).TryAdd(piece, id))
            {
                throw new InvalidDataException($"'{source}': piece '{piece}' (id {id}) is defined twice.");
            }

            switch (type)
            {
                case SentencePieceType.UserDefined:
                    userDefined.Add(piece);
                    break;
                case SentencePieceType.Unknown when UnknownId >= 0:
                    throw new InvalidDataException($"'{source}': more than one unknown piece (ids {UnknownId} and {id}).");
                case SentencePieceType.Unknown:
                    UnknownId = id;
                    break;
                case SentencePieceType.Byte:
                    int value = ParseBytePiece(piece);
                    if (value < 0)
                    {
                        throw new InvalidDataException($"'{source}': byte piece '{piece}' (id {id}) is not of the form <0xXX>.");
                    }

                    _byteToId[value] = id;
                    break;
            }
        }

        if (UnknownId < 0)
        {
            throw new InvalidDataException($"'{source}': the model defines no unknown piece.");
        }

        ByteFallback = proto.ByteFallback;
        if (ByteFallback && Array.IndexOf(_byteToId, -1) >= 0)
        {
            throw new InvalidDataException($"'{source}': byte_fallback is on but the model lacks some of the 256 byte pieces.");
        }

        _mergeableLookup = _mergeablePieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _reservedLookup = _reservedPieces.GetAlternateLookup<ReadOnlySpan<char>>();
        _userDefinedByFirstChar = userDefined
            .GroupBy(piece => piece[0])
            .ToDictionary(group => group.Key, group => group.OrderByDescending(piece => piece.Length).ToArray());

        BosId = ValidSpecialId(proto.BosId);
        EosId = ValidSpecialId(proto.EosId);
        PadId = ValidSpecialId(proto.PadId);
        NormalizerName = proto.NormalizerName;
        AddDummyPrefix = proto.AddDummyPrefix;
        RemoveExtraWhitespaces = proto.RemoveExtraWhitespaces;
        EscapeWhitespaces = proto.EscapeWhitespaces;
    }

    /// <summary>Number of pieces (ids <c>0 .. Count-1</c>).</summary>
    public int Count => _pieces.Length;

    /// <summary>Id of the unknown piece.</summary>
    public int UnknownId { get; }

    /// <summary>Id of the beginning-of-sentence piece (<c>trainer_spec.bos_id</c>), or -1.</summary>
    public int BosId { get; }

    /// <summary>Id of the end-of-sentence piece (<c>trainer_spec.eos_id</c>), or -1.</summary>
    public int EosId { get; }

    /// <summary>Id of the padding piece (<c>trainer_spec.pad_id</c>), or -1 (the default).</summary>
    public int PadId { get; }

    /// <summary>Whether characters with no piece become byte pieces (<c>trainer_spec.byte_fallback</c>).</summary>
    public bool ByteFallback { get; }

    /// <summary>The normalization rule's name (<c>normalizer_spec.name</c>), e.g. <c>identity</c>.</summary>
    public string NormalizerName { get; }

    /// <summary>Whether <c>▁</c> is put before the text (<c>normalizer_spec.add_dummy_prefix</c>, default true).</summary>
    public bool AddDummyPrefix { get; }

    /// <summary>
    /// Whether leading, trailing and repeated spaces are removed (<c>normalizer_spec.remove_extra_whitespaces</c>,
    /// proto default true; Llama-2 and Mistral set it false).
    /// </summary>
    public bool RemoveExtraWhitespaces { get; }

    /// <summary>Whether spaces become <c>▁</c> (<c>normalizer_spec.escape_whitespaces</c>, default true).</summary>
    public bool EscapeWhitespaces { get; }

    /// <summary>Loads a <c>tokenizer.model</c> file.</summary>
    /// <param name="path">Path of the serialized <c>ModelProto</c>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid SentencePiece model; the message names it.</exception>
    /// <exception cref="NotSupportedException">The model is not BPE or needs a normalization rule other than identity.</exception>
    public static SentencePieceBpeModel FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"SentencePiece model '{path}' does not exist.", path);
        }

        return FromBytes(File.ReadAllBytes(path), path);
    }

    /// <summary>Loads a serialized SentencePiece <c>ModelProto</c>.</summary>
    /// <param name="data">The bytes of a <c>tokenizer.model</c>.</param>
    /// <param name="source">A name for the data (e.g. its path), used in error messages.</param>
    /// <exception cref="InvalidDataException">The data is not a valid SentencePiece model.</exception>
    /// <exception cref="NotSupportedException">The model is not BPE or needs a normalization rule other than identity.</exception>
    public static SentencePieceBpeModel FromBytes(ReadOnlySpan<byte> data, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        SentencePieceModelProto proto;
        try
        {
            proto = SentencePieceModelProto.Parse(data);
        }
        catch (Exception exception) when (exception is FormatException or OverflowException)
        {
            throw new InvalidDataException($"'{source}' is not a valid SentencePiece model: {exception.Message}", exception);
        }

        if (proto.Pieces.Count == 0)
        {
            throw new InvalidDataException($"'{source}' is not a valid SentencePiece model: it has no pieces.");
        }

        if (!proto.HasTrainerSpec)
        {
            throw new InvalidDataException($"'{source}' is not a valid SentencePiece model: it has no trainer_spec (is the file truncated?).");
        }

        if (proto.ModelType != SentencePieceModelProto.BpeModelType)
        {
            string name = proto.ModelType switch { 1 => "UNIGRAM", 3 => "WORD", 4 => "CHAR", _ => proto.ModelType.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            throw new NotSupportedException($"'{source}': SentencePiece model_type {name} is not supported; only BPE is.");
        }

        if (proto.PrecompiledCharsMapLength > 0)
        {
            throw new NotSupportedException(
                $"'{source}': normalization rule '{proto.NormalizerName}' (a precompiled character map) is not supported; only identity is.");
        }

        if (proto.TreatWhitespaceAsSuffix)
        {
            throw new NotSupportedException($"'{source}': treat_whitespace_as_suffix is not supported.");
        }

        return new SentencePieceBpeModel(proto, source);
    }

    /// <summary>The piece string of an id.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in <c>0 .. Count-1</c>.</exception>
    public string IdToPiece(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _pieces.Length);
        return _pieces[id];
    }

    /// <summary>The score of an id's piece (higher merges first).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in <c>0 .. Count-1</c>.</exception>
    public float GetScore(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _pieces.Length);
        return _scores[id];
    }

    /// <summary>The type of an id's piece.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in <c>0 .. Count-1</c>.</exception>
    public SentencePieceType GetPieceType(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, _pieces.Length);
        return _types[id];
    }

    /// <summary>The id of a piece string, or <see langword="null"/> when the vocabulary has no such piece.</summary>
    public int? PieceToId(string piece)
    {
        ArgumentNullException.ThrowIfNull(piece);
        if (_reservedPieces.TryGetValue(piece, out int id) || _mergeablePieces.TryGetValue(piece, out id))
        {
            return id;
        }

        return null;
    }

    /// <summary>Encodes text as SentencePiece does (<c>spm_encode --output_format=id</c>): no bos/eos.</summary>
    /// <param name="text">The text; special-token strings in it are ordinary characters.</param>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 2 + 1);
        Encode(text, 0, AddDummyPrefix, ids, offsets: null);
        return ids;
    }

    /// <summary>Encodes text as SentencePiece does and returns the piece strings (<c>spm_encode</c>).</summary>
    /// <param name="text">The text; special-token strings in it are ordinary characters.</param>
    public IReadOnlyList<string> EncodeToPieces(string text) => [.. Encode(text).Select(id => _pieces[id])];

    /// <summary>
    /// Decodes ids as SentencePiece does (<c>spm_decode</c>): <c>▁</c> becomes a space, consecutive byte pieces
    /// are joined and read as UTF-8 (each byte of an invalid sequence becomes U+FFFD), control pieces are dropped,
    /// the unknown piece becomes <c>" ⁇ "</c>, and the dummy-prefix space at the very start is removed.
    /// </summary>
    /// <param name="ids">Piece ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in <c>0 .. Count-1</c>.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var pendingBytes = new List<byte>();
        bool atStart = true;
        foreach (int id in ids)
        {
            SentencePieceType type = GetPieceType(id);
            if (type == SentencePieceType.Byte)
            {
                pendingBytes.Add((byte)ParseBytePiece(_pieces[id]));
                continue;
            }

            AppendUtf8Bytes(text, pendingBytes);
            switch (type)
            {
                case SentencePieceType.Control:
                    continue;
                case SentencePieceType.Unknown:
                    text.Append(" \u2047 ");
                    break;
                default:
                    string piece = _pieces[id];
                    int skip = atStart && text.Length == 0 && AddDummyPrefix && piece[0] == SpaceSymbol ? 1 : 0;
                    AppendUnescaped(text, piece.AsSpan(skip));
                    break;
            }

            atStart = false;
        }

        AppendUtf8Bytes(text, pendingBytes);
        return text.ToString();
    }

    /// <summary>Whether an id is in range and a byte piece; gives its byte value.</summary>
    internal bool TryGetByte(int id, out byte value)
    {
        if ((uint)id < (uint)_pieces.Length && _types[id] == SentencePieceType.Byte)
        {
            value = (byte)ParseBytePiece(_pieces[id]);
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Appends a piece with <c>▁</c> turned back into spaces.</summary>
    internal static void AppendUnescaped(StringBuilder text, ReadOnlySpan<char> piece)
    {
        foreach (char c in piece)
        {
            text.Append(c == SpaceSymbol ? ' ' : c);
        }
    }

    /// <summary>Appends pending byte-piece bytes as UTF-8, one U+FFFD per byte when they are not valid UTF-8.</summary>
    internal static void AppendUtf8Bytes(StringBuilder text, List<byte> bytes)
    {
        if (bytes.Count == 0)
        {
            return;
        }

        ReadOnlySpan<byte> span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        if (System.Text.Unicode.Utf8.IsValid(span))
        {
            text.Append(Encoding.UTF8.GetString(span));
        }
        else
        {
            // Hugging Face's ByteFallback decoder turns each byte of an invalid run into one replacement character.
            text.Append('\uFFFD', bytes.Count);
        }

        bytes.Clear();
    }

    /// <summary>
    /// Encodes one span of text and appends ids, and optionally character offsets relative to
    /// <paramref name="origin"/>, to the lists.
    /// </summary>
    /// <param name="text">The text span.</param>
    /// <param name="origin">Index of the span's first character in the caller's string.</param>
    /// <param name="addDummyPrefix">Put <c>▁</c> before the span (its offset range is empty).</param>
    /// <param name="ids">Receives the ids.</param>
    /// <param name="offsets">Receives one range per id, or <see langword="null"/>.</param>
    internal void Encode(ReadOnlySpan<char> text, int origin, bool addDummyPrefix, List<int> ids, List<Range>? offsets)
    {
        if (text.IsEmpty)
        {
            return;
        }

        SentencePieceEncodeScratch scratch = t_scratch ??= new SentencePieceEncodeScratch();
        int length = Normalize(text, origin, addDummyPrefix, scratch);
        if (length == 0)
        {
            return;
        }

        MergeSymbols(scratch, length);
        EmitSymbols(scratch, ids, offsets);
    }

    private int Normalize(ReadOnlySpan<char> text, int origin, bool addDummyPrefix, SentencePieceEncodeScratch scratch)
    {
        scratch.EnsureCapacity(text.Length + 1);
        char[] normalized = scratch.Normalized;
        int[] originStart = scratch.OriginStart;
        int[] originEnd = scratch.OriginEnd;
        char escapedSpace = EscapeWhitespaces ? SpaceSymbol : ' ';

        int i = 0;
        if (RemoveExtraWhitespaces)
        {
            while (i < text.Length && text[i] == ' ')
            {
                i++;
            }

            if (i == text.Length)
            {
                return 0;
            }
        }

        int n = 0;
        if (addDummyPrefix)
        {
            // The dummy prefix stands for no input character: an empty range where the text starts.
            normalized[n] = escapedSpace;
            originStart[n] = originEnd[n] = origin + i;
            n++;
        }

        bool previousWasSpace = RemoveExtraWhitespaces;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (c == ' ')
            {
                if (RemoveExtraWhitespaces && previousWasSpace)
                {
                    continue;
                }

                previousWasSpace = true;
                c = escapedSpace;
            }
            else
            {
                previousWasSpace = false;
            }

            normalized[n] = c;
            originStart[n] = origin + i;
            originEnd[n] = origin + i + 1;
            n++;
        }

        if (RemoveExtraWhitespaces)
        {
            while (n > 0 && normalized[n - 1] == escapedSpace)
            {
                n--;
            }
        }

        return n;
    }

    private void MergeSymbols(SentencePieceEncodeScratch scratch, int length)
    {
        char[] normalized = scratch.Normalized;
        SentencePieceSymbol[] symbols = scratch.Symbols;
        int count = 0;
        for (int position = 0; position < length;)
        {
            int symbolLength = MatchUserDefined(normalized.AsSpan(position, length - position));
            bool freeze = symbolLength > 0;
            if (!freeze)
            {
                symbolLength = char.IsHighSurrogate(normalized[position]) && position + 1 < length && char.IsLowSurrogate(normalized[position + 1]) ? 2 : 1;
            }

            symbols[count] = new SentencePieceSymbol
            {
                Start = position,
                Length = symbolLength,
                Previous = count - 1,
                Next = position + symbolLength < length ? count + 1 : -1,
                Freeze = freeze,
            };
            count++;
            position += symbolLength;
        }

        scratch.SymbolCount = count;
        PriorityQueue<SentencePiecePair, SentencePiecePair> agenda = scratch.Agenda;
        agenda.Clear();
        scratch.UnusedSplits.Clear();
        for (int i = 1; i < count; i++)
        {
            MaybeAddPair(scratch, i - 1, i);
        }

        while (agenda.TryDequeue(out SentencePiecePair top, out _))
        {
            ref SentencePieceSymbol left = ref symbols[top.Left];
            ref SentencePieceSymbol right = ref symbols[top.Right];

            // A pair goes stale when either side has since been merged into something else.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != top.Length)
            {
                continue;
            }

            left.Length += right.Length;
            left.Next = right.Next;
            if (right.Next >= 0)
            {
                symbols[right.Next].Previous = top.Left;
            }

            right.Length = 0;
            MaybeAddPair(scratch, left.Previous, top.Left);
            MaybeAddPair(scratch, top.Left, left.Next);
        }
    }

    private void MaybeAddPair(SentencePieceEncodeScratch scratch, int leftIndex, int rightIndex)
    {
        if (leftIndex < 0 || rightIndex < 0)
        {
            return;
        }

        SentencePieceSymbol[] symbols = scratch.Symbols;
        ref SentencePieceSymbol left = ref symbols[leftIndex];
        ref SentencePieceSymbol right = ref symbols[rightIndex];
        if (left.Freeze || right.Freeze)
        {
            return;
        }

        int length = left.Length + right.Length;
        ReadOnlySpan<char> merged = scratch.Normalized.AsSpan(left.Start, length);
        if (!_mergeableLookup.TryGetValue(merged, out int id))
        {
            return;
        }

        var pair = new SentencePiecePair(leftIndex, rightIndex, length, _scores[id]);
        scratch.Agenda.Enqueue(pair, pair);
        if (_types[id] == SentencePieceType.Unused)
        {
            // Remember how an unused piece was built so it can be split back when emitted.
            scratch.UnusedSplits[new string(merged)] = left.Length;
        }
    }

    private void EmitSymbols(SentencePieceEncodeScratch scratch, List<int> ids, List<Range>? offsets)
    {
        SentencePieceSymbol[] symbols = scratch.Symbols;
        for (int index = 0; index >= 0; index = symbols[index].Next)
        {
            Resegment(scratch, symbols[index].Start, symbols[index].Length, ids, offsets);
        }
    }

    private void Resegment(SentencePieceEncodeScratch scratch, int start, int length, List<int> ids, List<Range>? offsets)
    {
        ReadOnlySpan<char> piece = scratch.Normalized.AsSpan(start, length);
        int id = LookupForEmit(piece);
        if (_types[id] == SentencePieceType.Unused
            && scratch.UnusedSplits.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(piece, out int leftLength))
        {
            Resegment(scratch, start, leftLength, ids, offsets);
            Resegment(scratch, start + leftLength, length - leftLength, ids, offsets);
            return;
        }

        Range range = new(scratch.OriginStart[start], scratch.OriginEnd[start + length - 1]);
        if (id == UnknownId && ByteFallback)
        {
            Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(piece.Length)];
            int byteCount = Encoding.UTF8.GetBytes(piece, bytes);
            for (int b = 0; b < byteCount; b++)
            {
                // Every byte piece of a character covers that character, as Hugging Face's fast tokenizers report.
                ids.Add(_byteToId[bytes[b]]);
                offsets?.Add(range);
            }

            return;
        }

        ids.Add(id);
        offsets?.Add(range);
    }

    private int LookupForEmit(ReadOnlySpan<char> piece)
    {
        if (_reservedLookup.TryGetValue(piece, out int id) || _mergeableLookup.TryGetValue(piece, out id))
        {
            return id;
        }

        return UnknownId;
    }

    private int MatchUserDefined(ReadOnlySpan<char> text)
    {
        if (_userDefinedByFirstChar.Count == 0 || !_userDefinedByFirstChar.TryGetValue(text[0], out string[]? candidates))
        {
            return 0;
        }

        foreach (string candidate in candidates)
        {
            if (text.StartsWith(candidate, StringComparison.Ordinal))
            {
                return candidate.Length;
            }
        }

        return 0;
    }

    private int ValidSpecialId(int id) => id >= 0 && id < _pieces.Length ? id : -1;

    /// <summary>Parses <c>&lt;0xXX&gt;</c> to its byte value, or -1.</summary>
    private static int ParseBytePiece(string piece)
    {
        if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && int.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out int value))
        {
            return value;
        }

        return -1;
    }
}
