namespace Zephyr.Alignment.Tokenization;

/// <summary>The type of a SentencePiece vocabulary piece (<c>ModelProto.SentencePiece.Type</c>).</summary>
public enum SentencePieceType
{
    /// <summary>An ordinary piece, produced by merging.</summary>
    Normal = 1,

    /// <summary>The unknown piece (<c>&lt;unk&gt;</c>).</summary>
    Unknown = 2,

    /// <summary>A control piece such as <c>&lt;s&gt;</c> or <c>&lt;/s&gt;</c>; never produced from text by SentencePiece.</summary>
    Control = 3,

    /// <summary>A user-defined piece, always matched whole and never merged with neighbours.</summary>
    UserDefined = 4,

    /// <summary>A piece kept in the vocabulary but never emitted: merges through it are split back.</summary>
    Unused = 5,

    /// <summary>A byte-fallback piece <c>&lt;0xXX&gt;</c>.</summary>
    Byte = 6,
}
