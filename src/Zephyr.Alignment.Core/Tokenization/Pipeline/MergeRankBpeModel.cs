using System.Text;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// The BPE model of a SentencePiece-style <c>tokenizer.json</c>, encoding a word as Hugging Face
/// <c>tokenizers</c>' <c>BPE::merge_word</c> does: one symbol per character (a character outside the vocabulary
/// becomes its UTF-8 <c>&lt;0xXX&gt;</c> byte tokens with <c>byte_fallback</c>, else the unknown token, fused with
/// <c>fuse_unk</c>), then the adjacent pair with the <b>lowest merge rank</b> is merged, leftmost first on equal
/// ranks, until no listed merge applies. Unlike SentencePiece's own BPE (<see cref="SentencePieceBpeModel"/>),
/// which orders merges by piece score, this follows the <c>merges</c> list.
/// </summary>
internal sealed class MergeRankBpeModel
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges = [];
    private readonly int[] _byteIds = new int[256];
    private readonly int _unknownId;
    private readonly bool _byteFallback;
    private readonly bool _fuseUnknown;
    private readonly bool _ignoreMerges;

    public MergeRankBpeModel(TokenizerJsonDefinition definition, string path)
    {
        _vocabulary = definition.Vocabulary;
        _lookup = _vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        _byteFallback = definition.ByteFallback;
        _fuseUnknown = definition.FuseUnknown;
        _ignoreMerges = definition.IgnoreMerges;
        _unknownId = -1;
        if (definition.UnknownToken is { } unknown)
        {
            _unknownId = _vocabulary.TryGetValue(unknown, out int id)
                ? id
                : throw new InvalidDataException($"'{path}': model.unk_token '{unknown}' is not in the vocabulary.");
        }

        for (int b = 0; b < 256; b++)
        {
            _byteIds[b] = _vocabulary.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }

        for (int rank = 0; rank < definition.MergePairs.Count; rank++)
        {
            (string left, string right) = definition.MergePairs[rank];
            if (!_vocabulary.TryGetValue(left, out int leftId) || !_vocabulary.TryGetValue(right, out int rightId))
            {
                throw new InvalidDataException($"'{path}': merge {rank} (\"{left}\", \"{right}\") uses a token missing from the vocabulary.");
            }

            if (!_vocabulary.TryGetValue(left + right, out int newId))
            {
                throw new InvalidDataException($"'{path}': merge {rank} (\"{left}\", \"{right}\") makes '{left + right}', which is not in the vocabulary.");
            }

            _merges.TryAdd(Key(leftId, rightId), (rank, newId));
        }
    }

    /// <summary>Encodes one pre-tokenized word; each id's character range is relative to <paramref name="word"/>.</summary>
    /// <exception cref="InvalidOperationException">A character has no token and the model has neither byte fallback nor an unknown token.</exception>
    public void Encode(ReadOnlySpan<char> word, List<int> ids, List<(int Start, int Length)> ranges)
    {
        if (word.IsEmpty)
        {
            return;
        }

        if (_ignoreMerges && _lookup.TryGetValue(word, out int whole))
        {
            ids.Add(whole);
            ranges.Add((0, word.Length));
            return;
        }

        var symbols = new List<Symbol>(word.Length);
        Span<byte> bytes = stackalloc byte[4];
        int pendingUnknownStart = -1;
        int pendingUnknownEnd = -1;
        for (int i = 0; i < word.Length;)
        {
            int length = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            ReadOnlySpan<char> character = word.Slice(i, length);
            if (_lookup.TryGetValue(character, out int id))
            {
                FlushUnknown();
                symbols.Add(new Symbol(id, i, length));
            }
            else if (_byteFallback && TryBytes(character, bytes, out int count))
            {
                // As tokenizers does, a pending unknown is not flushed before byte tokens.
                for (int b = 0; b < count; b++)
                {
                    symbols.Add(new Symbol(_byteIds[bytes[b]], i, length));
                }
            }
            else if (_unknownId >= 0)
            {
                if (pendingUnknownStart >= 0 && !_fuseUnknown)
                {
                    FlushUnknown();
                }

                if (pendingUnknownStart < 0)
                {
                    pendingUnknownStart = i;
                }

                pendingUnknownEnd = i + length;
            }
            else
            {
                throw new InvalidOperationException($"The character '{character.ToString()}' is not in the vocabulary, and the model has neither byte_fallback nor an unk_token.");
            }

            i += length;
        }

        FlushUnknown();
        MergeAll(symbols);
        foreach (Symbol symbol in symbols)
        {
            ids.Add(symbol.Id);
            ranges.Add((symbol.Start, symbol.Length));
        }

        void FlushUnknown()
        {
            if (pendingUnknownStart >= 0)
            {
                symbols.Add(new Symbol(_unknownId, pendingUnknownStart, pendingUnknownEnd - pendingUnknownStart));
                pendingUnknownStart = -1;
            }
        }
    }

    /// <summary>The id of a token string, or <see langword="null"/>.</summary>
    public int? TokenToId(string token) => _vocabulary.TryGetValue(token, out int id) ? id : null;

    private bool TryBytes(ReadOnlySpan<char> character, Span<byte> bytes, out int count)
    {
        count = Encoding.UTF8.GetBytes(character, bytes);
        for (int b = 0; b < count; b++)
        {
            if (_byteIds[bytes[b]] < 0)
            {
                return false;
            }
        }

        return true;
    }

    private void MergeAll(List<Symbol> symbols)
    {
        int count = symbols.Count;
        if (count < 2)
        {
            return;
        }

        int[] previous = new int[count];
        int[] next = new int[count];
        bool[] removed = new bool[count];
        for (int i = 0; i < count; i++)
        {
            previous[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }

        // Lowest rank first, then leftmost position, as tokenizers' Merge ordering.
        var queue = new PriorityQueue<(int Position, int NewId), (int Rank, int Position)>();
        for (int i = 0; i + 1 < count; i++)
        {
            Enqueue(i, i + 1);
        }

        while (queue.TryDequeue(out (int Position, int NewId) top, out _))
        {
            int position = top.Position;
            if (removed[position] || next[position] < 0)
            {
                continue;
            }

            int right = next[position];
            if (!_merges.TryGetValue(Key(symbols[position].Id, symbols[right].Id), out (int Rank, int NewId) merge) || merge.NewId != top.NewId)
            {
                // An expired entry: one of its symbols has merged since.
                continue;
            }

            Symbol left = symbols[position];
            symbols[position] = new Symbol(merge.NewId, left.Start, symbols[right].Start + symbols[right].Length - left.Start);
            removed[right] = true;
            next[position] = next[right];
            if (next[right] >= 0)
            {
                previous[next[right]] = position;
            }

            if (previous[position] >= 0)
            {
                Enqueue(previous[position], position);
            }

            if (next[position] >= 0)
            {
                Enqueue(position, next[position]);
            }
        }

        var kept = new List<Symbol>(count);
        for (int i = 0; i < count; i++)
        {
            if (!removed[i])
            {
                kept.Add(symbols[i]);
            }
        }

        symbols.Clear();
        symbols.AddRange(kept);

        void Enqueue(int leftIndex, int rightIndex)
        {
            if (_merges.TryGetValue(Key(symbols[leftIndex].Id, symbols[rightIndex].Id), out (int Rank, int NewId) merge))
            {
                queue.Enqueue((leftIndex, merge.NewId), (merge.Rank, leftIndex));
            }
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>A token id and the characters of the word it covers (byte tokens each cover their whole character).</summary>
    private readonly record struct Symbol(int Id, int Start, int Length);
}
