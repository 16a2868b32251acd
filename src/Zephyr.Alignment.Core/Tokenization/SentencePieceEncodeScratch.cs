namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// Per-thread working buffers of <see cref="SentencePieceBpeModel"/>'s encoder, kept between calls so that encoding
/// a dataset does not allocate a fresh queue and arrays per text.
/// </summary>
internal sealed class SentencePieceEncodeScratch
{
    // A long text can grow the buffers; beyond this they are not kept, so one huge document does not pin memory.
    private const int MaxRetainedCapacity = 1 << 16;

    public char[] Normalized { get; private set; } = new char[256];

    public int[] OriginStart { get; private set; } = new int[256];

    public int[] OriginEnd { get; private set; } = new int[256];

    public SentencePieceSymbol[] Symbols { get; private set; } = new SentencePieceSymbol[256];

    public int SymbolCount { get; set; }

    public PriorityQueue<SentencePiecePair, SentencePiecePair> Agenda { get; } = new();

    /// <summary>Unused merged piece → length of its left part.</summary>
    public Dictionary<string, int> UnusedSplits { get; } = new(StringComparer.Ordinal);

    public void EnsureCapacity(int capacity)
    {
        if (Normalized.Length >= capacity && (Normalized.Length <= MaxRetainedCapacity || capacity > MaxRetainedCapacity / 2))
        {
            return;
        }

        int size = Math.Max(capacity, 256);
        Normalized = new char[size];
        OriginStart = new int[size];
        OriginEnd = new int[size];
        Symbols = new SentencePieceSymbol[size];
    }
}
