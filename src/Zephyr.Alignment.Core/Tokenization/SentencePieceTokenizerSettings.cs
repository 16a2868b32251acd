namespace Zephyr.Alignment.Tokenization;

/// <summary>The resolved special tokens and flags of a <see cref="SentencePieceTokenizer"/>.</summary>
internal sealed record SentencePieceTokenizerSettings(
    IReadOnlyList<AddedToken> AddedTokens,
    SpecialToken? Bos,
    SpecialToken? Eos,
    SpecialToken? Unk,
    SpecialToken? Pad,
    bool AddBos,
    bool AddEos,
    bool Legacy,
    bool AddPrefixSpace,
    string? ChatTemplate)
{
    /// <summary>
    /// Resolves the configuration against the model, with <c>LlamaTokenizer</c>'s defaults: bos/eos/unk are the
    /// model's own pieces when the files name none, <c>add_bos_token</c> true, <c>add_eos_token</c> false,
    /// <c>legacy</c> true, <c>add_prefix_space</c> true.
    /// </summary>
    /// <exception cref="InvalidDataException">A named special token is neither an added token nor a piece.</exception>
    public static SentencePieceTokenizerSettings Resolve(SentencePieceBpeModel model, string modelPath, TokenizerConfiguration configuration)
    {
        var added = new List<AddedToken>(configuration.AddedTokensDecoder);
        var byContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (AddedToken token in added)
        {
            byContent.TryAdd(token.Content, token.Id);
        }

        SpecialToken? Resolve(string role, string? text)
        {
            if (text is null)
            {
                return null;
            }

            if (!byContent.TryGetValue(text, out int id))
            {
                id = model.PieceToId(text)
                    ?? throw new InvalidDataException(
                        $"'{configuration.ConfigPath}': {role} '{text}' is neither in added_tokens_decoder nor a piece of '{modelPath}'.");
                byContent[text] = id;

                // Special tokens are always matched whole in text, even when added_tokens_decoder omits them.
                added.Add(new AddedToken(text, id));
            }

            return new SpecialToken(text, id);
        }

        string? ModelPiece(int id) => id >= 0 ? model.IdToPiece(id) : null;

        SpecialToken? bos = Resolve("bos_token", configuration.BosToken ?? ModelPiece(model.BosId));
        SpecialToken? eos = Resolve("eos_token", configuration.EosToken ?? ModelPiece(model.EosId));
        SpecialToken? unk = Resolve("unk_token", configuration.UnkToken ?? ModelPiece(model.UnknownId));
        SpecialToken? pad = Resolve("pad_token", configuration.PadToken ?? ModelPiece(model.PadId));
        foreach (string extra in configuration.AdditionalSpecialTokens)
        {
            Resolve("additional special token", extra);
        }

        return new SentencePieceTokenizerSettings(
            added,
            bos,
            eos,
            unk,
            pad,
            configuration.AddBosToken ?? true,
            configuration.AddEosToken ?? false,
            configuration.Legacy ?? true,
            configuration.AddPrefixSpace ?? true,
            configuration.ChatTemplate);
    }
}
