namespace Zephyr.Alignment.Tokenization;

/// <summary>A candidate merge of two adjacent symbols, ordered as SentencePiece's agenda orders them.</summary>
/// <param name="Left">Index of the left symbol; also the tie-breaker (leftmost first).</param>
/// <param name="Right">Index of the right symbol.</param>
/// <param name="Length">Length of the merged piece, to detect stale pairs.</param>
/// <param name="Score">Score of the merged piece; the highest merges first.</param>
internal readonly record struct SentencePiecePair(int Left, int Right, int Length, float Score) : IComparable<SentencePiecePair>
{
    /// <summary>Orders by higher score, then smaller left index, so a min-heap dequeues the next merge.</summary>
    public int CompareTo(SentencePiecePair other)
    {
        int byScore = other.Score.CompareTo(Score);
        return byScore != 0 ? byScore : Left.CompareTo(other.Left);
    }
}
