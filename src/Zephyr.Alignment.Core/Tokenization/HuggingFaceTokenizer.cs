namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// Loads the tokenizer of a Hugging Face checkpoint folder, as <c>AutoTokenizer.from_pretrained</c> would.
/// </summary>
/// <example>
/// <code>
/// ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder("models/zephyr-7b-beta");
/// EncodedText encoded = tokenizer.Encode("&lt;|user|&gt;\nHi&lt;/s&gt;\n");
/// </code>
/// </example>
public static class HuggingFaceTokenizer
{
    /// <summary>The SentencePiece model file name (Llama-2, Mistral, Zephyr).</summary>
    public const string SentencePieceModelFileName = "tokenizer.model";

    /// <summary>The Hugging Face tokenizers file name (Llama-3, Qwen).</summary>
    public const string TokenizerJsonFileName = "tokenizer.json";

    /// <summary>
    /// Loads a folder's tokenizer: <see cref="SentencePieceTokenizer"/> when <c>tokenizer.model</c> is present,
    /// else from <c>tokenizer.json</c> a <see cref="ByteLevelBpeTokenizer"/> (a ByteLevel pre-tokenizer: Llama-3, Qwen)
    /// or a <see cref="SentencePieceJsonTokenizer"/> (the SentencePiece-style form with <c>byte_fallback</c>:
    /// Llama-2, Mistral, TinyLlama, Gemma). Special tokens, <c>add_bos_token</c>,
    /// <c>add_eos_token</c> and <c>chat_template</c> come from <c>tokenizer_config.json</c> and
    /// <c>special_tokens_map.json</c> when present.
    /// </summary>
    /// <param name="directory">The checkpoint or tokenizer folder.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has neither tokenizer file.</exception>
    /// <exception cref="InvalidDataException">A tokenizer file is corrupt or malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">The tokenizer is of a kind this library does not implement; the message names the file and the part.</exception>
    public static ITokenizer FromFolder(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Tokenizer folder '{directory}' does not exist.");
        }

        if (File.Exists(Path.Combine(directory, SentencePieceModelFileName)))
        {
            return SentencePieceTokenizer.FromFolder(directory);
        }

        string jsonPath = Path.Combine(directory, TokenizerJsonFileName);
        if (File.Exists(jsonPath))
        {
            TokenizerJsonDefinition definition = TokenizerJsonDefinition.Read(jsonPath);
            TokenizerConfiguration configuration = TokenizerConfiguration.Read(directory);
            return definition.IsByteLevel
                ? ByteLevelBpeTokenizer.Create(definition, configuration, jsonPath)
                : SentencePieceJsonTokenizer.Create(definition, configuration, jsonPath);
        }

        throw new FileNotFoundException(
            $"Tokenizer folder '{directory}' has neither '{SentencePieceModelFileName}' nor '{TokenizerJsonFileName}'.", jsonPath);
    }
}
