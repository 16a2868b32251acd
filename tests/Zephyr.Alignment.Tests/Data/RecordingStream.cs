namespace Zephyr.Alignment.Tests.Data;

/// <summary>A read-only stream wrapper that records the offset and length of every read.</summary>
internal sealed class RecordingStream(Stream inner) : Stream
{
    public List<(long Offset, int Count)> Reads { get; } = [];

    public long BytesRead => Reads.Sum(r => (long)r.Count);

    public override bool CanRead => true;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Record(inner.Position, inner.Read(buffer, offset, count));

    public override int Read(Span<byte> buffer) => Record(inner.Position, inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long at = inner.Position;
        return Record(at, await inner.ReadAsync(buffer, cancellationToken));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Record(long at, int count)
    {
        if (count > 0)
        {
            Reads.Add((at, count));
        }

        return count;
    }
}
