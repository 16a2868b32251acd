namespace Zephyr.Alignment.Tokenization;

/// <summary>Options of <see cref="ByteLevelBpeTrainer"/>, named after Hugging Face tokenizers' <c>BpeTrainer</c>.</summary>
public sealed class ByteLevelBpeTrainerOptions
{
    /// <summary>
    /// The largest vocabulary to reach, counting the 256 byte symbols, the merges and the special and additional tokens
    /// (<c>vocab_size</c>). Training stops earlier when no pair occurs <see cref="MinFrequency"/> times. Default: 1,000.
    /// </summary>
    public int VocabularySize { get; set; } = 1000;

    /// <summary>The fewest occurrences a pair needs to be merged (<c>min_frequency</c>). Default: 2.</summary>
    public int MinFrequency { get; set; } = 2;

    /// <summary>Beginning-of-sequence token, prepended when encoding with special tokens. Default: <c>&lt;s&gt;</c>.</summary>
    public string BosToken { get; set; } = "<s>";

    /// <summary>End-of-sequence token. Default: <c>&lt;/s&gt;</c>.</summary>
    public string EosToken { get; set; } = "</s>";

    /// <summary>Unknown token (byte-level BPE never needs it, but checkpoints name one). Default: <c>&lt;unk&gt;</c>.</summary>
    public string UnkToken { get; set; } = "<unk>";

    /// <summary>Padding token. Default: <c>&lt;pad&gt;</c>.</summary>
    public string PadToken { get; set; } = "<pad>";

    /// <summary>
    /// More tokens kept whole and never split (such as the Zephyr role markers <c>&lt;|user|&gt;</c>); they are added tokens
    /// that are not special, so decoding keeps them. Default: none.
    /// </summary>
    public IList<string> AdditionalTokens { get; set; } = [];

    /// <summary>The Jinja <c>chat_template</c> written to <c>tokenizer_config.json</c>. Default: none.</summary>
    public string? ChatTemplate { get; set; }

    /// <summary>The <c>model_max_length</c> written to <c>tokenizer_config.json</c>. Default: 2,048.</summary>
    public int ModelMaxLength { get; set; } = 2048;
}
