namespace Zephyr.Alignment.Tokenization;

/// <summary>One symbol of SentencePiece's BPE merge: a span of the normalized text in a doubly linked list.</summary>
internal struct SentencePieceSymbol
{
    /// <summary>Start of the span in the normalized text.</summary>
    public int Start;

    /// <summary>Length of the span; 0 once merged into its left neighbour.</summary>
    public int Length;

    /// <summary>Index of the previous live symbol, or -1.</summary>
    public int Previous;

    /// <summary>Index of the next live symbol, or -1.</summary>
    public int Next;

    /// <summary>A user-defined piece: never merged.</summary>
    public bool Freeze;
}
