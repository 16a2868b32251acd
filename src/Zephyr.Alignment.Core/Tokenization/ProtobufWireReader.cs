using System.Buffers.Binary;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A minimal reader of the protobuf wire format, enough for SentencePiece's <c>ModelProto</c>. We read the
/// proto ourselves rather than taking a protobuf dependency: the model needs only a handful of fields.
/// </summary>
internal ref struct ProtobufWireReader
{
    /// <summary>Wire type of varint fields (int32, bool, enum).</summary>
    public const int VarintWireType = 0;

    /// <summary>Wire type of 64-bit fixed fields.</summary>
    public const int Fixed64WireType = 1;

    /// <summary>Wire type of length-delimited fields (string, bytes, sub-messages).</summary>
    public const int LengthDelimitedWireType = 2;

    /// <summary>Wire type of 32-bit fixed fields (float).</summary>
    public const int Fixed32WireType = 5;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public ProtobufWireReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool AtEnd => _position >= _buffer.Length;

    /// <summary>Reads a field key; returns the field number and wire type.</summary>
    public (int FieldNumber, int WireType) ReadKey()
    {
        ulong key = ReadVarint();
        int fieldNumber = checked((int)(key >> 3));
        if (fieldNumber == 0)
        {
            throw new FormatException($"Field number 0 at byte {_position}.");
        }

        return (fieldNumber, (int)(key & 7));
    }

    /// <summary>Reads a base-128 varint.</summary>
    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                throw new FormatException("Truncated varint.");
            }

            byte b = _buffer[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new FormatException($"Varint longer than 10 bytes at byte {_position}.");
    }

    /// <summary>Reads a varint as int32 (negative int32 values are encoded sign-extended to 64 bits).</summary>
    public int ReadInt32() => unchecked((int)ReadVarint());

    /// <summary>Reads a varint as a bool.</summary>
    public bool ReadBool() => ReadVarint() != 0;

    /// <summary>Reads a little-endian 32-bit float.</summary>
    public float ReadFloat()
    {
        ReadOnlySpan<byte> bytes = Take(4);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes);
    }

    /// <summary>Reads a length-delimited field's payload.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
        {
            throw new FormatException($"Length {length} at byte {_position} runs past the end of the data.");
        }

        return Take((int)length);
    }

    /// <summary>Skips a field of the given wire type.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case VarintWireType:
                ReadVarint();
                break;
            case Fixed64WireType:
                Take(8);
                break;
            case LengthDelimitedWireType:
                ReadLengthDelimited();
                break;
            case Fixed32WireType:
                Take(4);
                break;
            default:
                throw new FormatException($"Unsupported wire type {wireType} at byte {_position}.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _buffer.Length - _position)
        {
            throw new FormatException($"Field at byte {_position} runs past the end of the data.");
        }

        ReadOnlySpan<byte> slice = _buffer.Slice(_position, count);
        _position += count;
        return slice;
    }
}
