using System.Text;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// The fields of SentencePiece's <c>ModelProto</c> (<c>src/sentencepiece_model.proto</c>) that encoding needs,
/// parsed from the protobuf wire format. Field numbers: <c>ModelProto</c> pieces = 1, trainer_spec = 2,
/// normalizer_spec = 3; <c>SentencePiece</c> piece = 1, score = 2, type = 3; <c>TrainerSpec</c> model_type = 3,
/// treat_whitespace_as_suffix = 24, byte_fallback = 35, unk/bos/eos/pad_id = 40–43; <c>NormalizerSpec</c>
/// name = 1, precompiled_charsmap = 2, add_dummy_prefix = 3, remove_extra_whitespaces = 4,
/// escape_whitespaces = 5. Absent fields take the proto2 defaults declared there.
/// </summary>
internal sealed class SentencePieceModelProto
{
    /// <summary><c>TrainerSpec.ModelType.BPE</c>.</summary>
    public const int BpeModelType = 2;

    private SentencePieceModelProto()
    {
    }

    public List<string> Pieces { get; } = [];

    /// <summary>Whether a <c>trainer_spec</c> was present; every trained model has one, a truncated file may not.</summary>
    public bool HasTrainerSpec { get; private set; }

    public List<float> Scores { get; } = [];

    public List<SentencePieceType> Types { get; } = [];

    /// <summary><c>model_type</c>; the proto default is UNIGRAM (1).</summary>
    public int ModelType { get; private set; } = 1;

    public bool TreatWhitespaceAsSuffix { get; private set; }

    public bool ByteFallback { get; private set; }

    public int UnknownId { get; private set; }

    public int BosId { get; private set; } = 1;

    public int EosId { get; private set; } = 2;

    public int PadId { get; private set; } = -1;

    public string NormalizerName { get; private set; } = string.Empty;

    public int PrecompiledCharsMapLength { get; private set; }

    public bool AddDummyPrefix { get; private set; } = true;

    public bool RemoveExtraWhitespaces { get; private set; } = true;

    public bool EscapeWhitespaces { get; private set; } = true;

    /// <summary>Parses a serialized <c>ModelProto</c>.</summary>
    /// <exception cref="FormatException">The bytes are not a well-formed protobuf message.</exception>
    public static SentencePieceModelProto Parse(ReadOnlySpan<byte> data)
    {
        var proto = new SentencePieceModelProto();
        var reader = new ProtobufWireReader(data);
        while (!reader.AtEnd)
        {
            (int field, int wireType) = reader.ReadKey();
            switch (field)
            {
                case 1 when wireType == ProtobufWireReader.LengthDelimitedWireType:
                    proto.ReadPiece(reader.ReadLengthDelimited());
                    break;
                case 2 when wireType == ProtobufWireReader.LengthDelimitedWireType:
                    proto.ReadTrainerSpec(reader.ReadLengthDelimited());
                    proto.HasTrainerSpec = true;
                    break;
                case 3 when wireType == ProtobufWireReader.LengthDelimitedWireType:
                    proto.ReadNormalizerSpec(reader.ReadLengthDelimited());
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return proto;
    }

    private void ReadPiece(ReadOnlySpan<byte> message)
    {
        string? piece = null;
        float score = 0f;
        var type = SentencePieceType.Normal;
        var reader = new ProtobufWireReader(message);
        while (!reader.AtEnd)
        {
            (int field, int wireType) = reader.ReadKey();
            switch (field)
            {
                case 1 when wireType == ProtobufWireReader.LengthDelimitedWireType:
                    piece = DecodeUtf8(reader.ReadLengthDelimited());
                    break;
                case 2 when wireType == ProtobufWireReader.Fixed32WireType:
                    score = reader.ReadFloat();
                    break;
                case 3 when wireType == ProtobufWireReader.VarintWireType:
                    int rawType = reader.ReadInt32();
                    if (rawType is < 1 or > 6)
                    {
                        throw new FormatException($"Piece {Pieces.Count} has unknown type {rawType}.");
                    }

                    type = (SentencePieceType)rawType;
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        if (string.IsNullOrEmpty(piece))
        {
            throw new FormatException($"Piece {Pieces.Count} has no piece string.");
        }

        Pieces.Add(piece);
        Scores.Add(score);
        Types.Add(type);
    }

    private void ReadTrainerSpec(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufWireReader(message);
        while (!reader.AtEnd)
        {
            (int field, int wireType) = reader.ReadKey();
            if (wireType != ProtobufWireReader.VarintWireType)
            {
                reader.Skip(wireType);
                continue;
            }

            switch (field)
            {
                case 3: ModelType = reader.ReadInt32(); break;
                case 24: TreatWhitespaceAsSuffix = reader.ReadBool(); break;
                case 35: ByteFallback = reader.ReadBool(); break;
                case 40: UnknownId = reader.ReadInt32(); break;
                case 41: BosId = reader.ReadInt32(); break;
                case 42: EosId = reader.ReadInt32(); break;
                case 43: PadId = reader.ReadInt32(); break;
                default: reader.Skip(wireType); break;
            }
        }
    }

    private void ReadNormalizerSpec(ReadOnlySpan<byte> message)
    {
        var reader = new ProtobufWireReader(message);
        while (!reader.AtEnd)
        {
            (int field, int wireType) = reader.ReadKey();
            switch (field)
            {
                case 1 when wireType == ProtobufWireReader.LengthDelimitedWireType:
                    NormalizerName = DecodeUtf8(reader.ReadLengthDelimited());
                    break;
                case 2 when wireType == ProtobufWireReader.LengthDelimitedWireType:
                    PrecompiledCharsMapLength = reader.ReadLengthDelimited().Length;
                    break;
                case 3 when wireType == ProtobufWireReader.VarintWireType:
                    AddDummyPrefix = reader.ReadBool();
                    break;
                case 4 when wireType == ProtobufWireReader.VarintWireType:
                    RemoveExtraWhitespaces = reader.ReadBool();
                    break;
                case 5 when wireType == ProtobufWireReader.VarintWireType:
                    EscapeWhitespaces = reader.ReadBool();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
    }

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException exception)
        {
            throw new FormatException("A string field is not valid UTF-8.", exception);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
