using System.Buffers.Binary;
using System.Text;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary>
/// Reads a TensorBoard event file independently of the writer, as TensorBoard's own reader does: TFRecord framing
/// (uint64 length, masked CRC-32C of the length, the bytes, masked CRC-32C of the bytes) around serialized
/// <c>tensorboard.Event</c> protobufs (wall_time = 1 double, step = 2 int64, file_version = 3 string, summary = 5 message;
/// Summary.value = 1; Value.tag = 1 string, simple_value = 2 float).
/// </summary>
internal static class TensorBoardEventFile
{
    internal sealed record Event(double WallTime, long Step, string? FileVersion, IReadOnlyList<(string Tag, float Value)> Scalars);

    public static List<Event> Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < 12)
            {
                throw new InvalidDataException($"{path}: a truncated record header at byte {offset}.");
            }

            ReadOnlySpan<byte> header = bytes.AsSpan(offset, 8);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            Check(path, offset, "length", header, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + 8, 4)));
            offset += 12;
            if ((ulong)(bytes.Length - offset) < length + 4)
            {
                throw new InvalidDataException($"{path}: a record at byte {offset} claims {length} bytes; the file ends first.");
            }

            ReadOnlySpan<byte> data = bytes.AsSpan(offset, (int)length);
            Check(path, offset, "data", data, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset + (int)length, 4)));
            events.Add(ParseEvent(data.ToArray()));
            offset += (int)length + 4;
        }

        return events;
    }

    /// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit.</summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>TFRecord's mask: rotate right by 15 and add a constant.</summary>
    public static uint Masked(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8);

    private static void Check(string path, int offset, string what, ReadOnlySpan<byte> data, uint stored)
    {
        if (Masked(Crc32C(data)) != stored)
        {
            throw new InvalidDataException($"{path}: the {what} checksum of the record at byte {offset} does not match.");
        }
    }

    private static Event ParseEvent(byte[] data)
    {
        double wallTime = 0;
        long step = 0;
        string? version = null;
        var scalars = new List<(string, float)>();
        foreach (var (field, wire, value, payload) in Fields(data))
        {
            switch (field, wire)
            {
                case (1, 1):
                    wallTime = BitConverter.Int64BitsToDouble((long)value);
                    break;
                case (2, 0):
                    step = (long)value;
                    break;
                case (3, 2):
                    version = Encoding.UTF8.GetString(payload);
                    break;
                case (5, 2):
                    foreach (var (summaryField, summaryWire, _, valueBytes) in Fields(payload))
                    {
                        if (summaryField == 1 && summaryWire == 2)
                        {
                            scalars.Add(ParseValue(valueBytes));
                        }
                    }

                    break;
            }
        }

        return new Event(wallTime, step, version, scalars);
    }

    private static (string, float) ParseValue(byte[] data)
    {
        string tag = "";
        float value = float.NaN;
        foreach (var (field, wire, raw, payload) in Fields(data))
        {
            if (field == 1 && wire == 2)
            {
                tag = Encoding.UTF8.GetString(payload);
            }
            else if (field == 2 && wire == 5)
            {
                value = BitConverter.Int32BitsToSingle((int)raw);
            }
        }

        return (tag, value);
    }

    private static IEnumerable<(int Field, int Wire, ulong Value, byte[] Payload)> Fields(byte[] data)
    {
        int position = 0;
        while (position < data.Length)
        {
            ulong key = Varint(data, ref position);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0:
                    yield return (field, wire, Varint(data, ref position), []);
                    break;
                case 1:
                    yield return (field, wire, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(position, 8)), []);
                    position += 8;
                    break;
                case 2:
                    int length = (int)Varint(data, ref position);
                    yield return (field, wire, 0, data.AsSpan(position, length).ToArray());
                    position += length;
                    break;
                case 5:
                    yield return (field, wire, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(position, 4)), []);
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wire} (field {field}).");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int position)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
    }
}
