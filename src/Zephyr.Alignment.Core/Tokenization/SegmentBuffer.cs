namespace Zephyr.Alignment.Tokenization;

/// <summary>A per-thread list of <see cref="TextSegment"/>, reused across encode calls.</summary>
internal static class SegmentBuffer
{
    [ThreadStatic]
    private static List<TextSegment>? t_segments;

    /// <summary>The calling thread's list; empty, not to be kept past the call.</summary>
    public static List<TextSegment> Rent()
    {
        List<TextSegment> segments = t_segments ??= new List<TextSegment>();
        segments.Clear();
        if (segments.Capacity > 4096)
        {
            // Do not let one pathological text keep a large buffer alive.
            segments.Capacity = 16;
        }

        return segments;
    }
}
