namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A checkpoint's tokenizer, behaving as Hugging Face's <c>AutoTokenizer</c> does for that folder: special
/// tokens written as text become their ids, and <see cref="AddBosToken"/>/<see cref="AddEosToken"/> apply when
/// special tokens are requested.
/// </summary>
public interface ITokenizer
{
    /// <summary>Number of ids, including added special tokens.</summary>
    int VocabularySize { get; }

    /// <summary>Beginning-of-sequence token, or <see langword="null"/>.</summary>
    SpecialToken? BosToken { get; }

    /// <summary>End-of-sequence token, or <see langword="null"/>.</summary>
    SpecialToken? EosToken { get; }

    /// <summary>Unknown token, or <see langword="null"/>.</summary>
    SpecialToken? UnkToken { get; }

    /// <summary>Padding token, or <see langword="null"/> when the checkpoint defines none.</summary>
    SpecialToken? PadToken { get; }

    /// <summary>Prepend <see cref="BosToken"/> when encoding with special tokens (<c>add_bos_token</c>).</summary>
    bool AddBosToken { get; }

    /// <summary>Append <see cref="EosToken"/> when encoding with special tokens (<c>add_eos_token</c>).</summary>
    bool AddEosToken { get; }

    /// <summary>The Jinja <c>chat_template</c> of <c>tokenizer_config.json</c>, if any.</summary>
    string? ChatTemplate { get; }

    /// <summary>Encodes <paramref name="text"/>.</summary>
    /// <param name="text">The text; special-token strings in it become their ids.</param>
    /// <param name="addSpecialTokens">Apply <see cref="AddBosToken"/> and <see cref="AddEosToken"/>.</param>
    /// <returns>The ids and, per id, the characters of <paramref name="text"/> it came from.</returns>
    EncodedText Encode(string text, bool addSpecialTokens = true);

    /// <summary>Decodes ids to text.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave special tokens out of the text.</param>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false);

    /// <summary>The id of a token string (a vocabulary piece or special token), or <see langword="null"/>.</summary>
    int? TokenToId(string token);

    /// <summary>The token string of an id, or <see langword="null"/> when out of range.</summary>
    string? IdToToken(int id);
}
