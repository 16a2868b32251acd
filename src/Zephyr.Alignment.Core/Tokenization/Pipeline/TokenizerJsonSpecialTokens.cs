namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// The added and special tokens of a <c>tokenizer.json</c> folder, resolved against <c>tokenizer_config.json</c>:
/// tokenizer.json's <c>added_tokens</c> first, then any further <c>added_tokens_decoder</c> entries; bos/eos/unk/pad
/// by their text; and the ids put around the text when special tokens are requested.
/// </summary>
internal sealed class TokenizerJsonSpecialTokens
{
    private TokenizerJsonSpecialTokens(AddedTokenVocabulary vocabulary, IReadOnlyList<AddedToken> addedTokens)
    {
        Vocabulary = vocabulary;
        AddedTokens = addedTokens;
    }

    public AddedTokenVocabulary Vocabulary { get; }

    public IReadOnlyList<AddedToken> AddedTokens { get; }

    public SpecialToken? Bos { get; private init; }

    public SpecialToken? Eos { get; private init; }

    public SpecialToken? Unk { get; private init; }

    public SpecialToken? Pad { get; private init; }

    public int[] PrefixIds { get; private init; } = [];

    public int[] SuffixIds { get; private init; } = [];

    /// <summary>Largest id of any added token, or -1.</summary>
    public int MaxAddedId => AddedTokens.Count == 0 ? -1 : AddedTokens.Max(token => token.Id);

    /// <summary>Whether bos is among the ids put before the text (the tokenizer's <c>add_bos_token</c>).</summary>
    public bool AddsBos => Bos is not null && PrefixIds.Contains(Bos.Id);

    /// <summary>Whether eos is among the ids put after the text (the tokenizer's <c>add_eos_token</c>).</summary>
    public bool AddsEos => Eos is not null && SuffixIds.Contains(Eos.Id);

    /// <summary>
    /// The model vocabulary's token text by id, sized to cover the added tokens too (its length is the vocabulary size);
    /// ids only an added token has stay null, since <see cref="Vocabulary"/> answers for them.
    /// </summary>
    /// <param name="modelVocabulary">The <c>model.vocab</c> of <c>tokenizer.json</c>.</param>
    public string?[] IdToTokenTable(IReadOnlyDictionary<string, int> modelVocabulary)
    {
        int maxId = Math.Max(modelVocabulary.Count == 0 ? -1 : modelVocabulary.Values.Max(), MaxAddedId);
        var table = new string?[maxId + 1];
        foreach ((string token, int id) in modelVocabulary)
        {
            table[id] = token;
        }

        return table;
    }

    /// <summary>Resolves the tokens.</summary>
    /// <param name="definition">The parsed <c>tokenizer.json</c>.</param>
    /// <param name="configuration">The folder's configuration files.</param>
    /// <param name="jsonPath">Path of <c>tokenizer.json</c>, for messages.</param>
    /// <param name="configFlagsWin">
    /// Whether explicit <c>add_bos_token</c>/<c>add_eos_token</c> in <c>tokenizer_config.json</c> override the
    /// post-processor template, as transformers' <c>LlamaTokenizerFast</c>/<c>GemmaTokenizerFast</c> rebuild it
    /// (<c>update_post_processor</c>).
    /// </param>
    /// <exception cref="InvalidDataException">A named special token is neither an added token nor in the vocabulary.</exception>
    public static TokenizerJsonSpecialTokens Resolve(TokenizerJsonDefinition definition, TokenizerConfiguration configuration, string jsonPath, bool configFlagsWin)
    {
        // Of tokens with the same text only the first is looked up, by text or by id.
        AddedToken[] lookup = [.. definition.AddedTokens.Concat(configuration.AddedTokensDecoder).DistinctBy(token => token.Content, StringComparer.Ordinal)];
        var added = new List<AddedToken>(definition.AddedTokens);
        foreach (AddedToken token in lookup)
        {
            if (!added.Contains(token))
            {
                added.Add(token);
            }
        }

        var vocabulary = new AddedTokenVocabulary(added, lookup);

        SpecialToken? Find(string role, string? text)
        {
            if (text is null)
            {
                return null;
            }

            if (vocabulary.TryGetByContent(text, out AddedToken? token))
            {
                return new SpecialToken(text, token.Id);
            }

            if (definition.Vocabulary.TryGetValue(text, out int id))
            {
                return new SpecialToken(text, id);
            }

            throw new InvalidDataException(
                $"'{configuration.ConfigPath}': {role} '{text}' is neither an added token nor in the vocabulary of '{jsonPath}'.");
        }

        SpecialToken? bos = Find("bos_token", configuration.BosToken);
        SpecialToken? eos = Find("eos_token", configuration.EosToken);
        SpecialToken? unk = Find("unk_token", configuration.UnkToken);
        SpecialToken? pad = Find("pad_token", configuration.PadToken);
        vocabulary.AddSpecialTokens(bos, eos, unk, pad);

        int[] prefix;
        int[] suffix;
        if (definition.HasTemplate && !(configFlagsWin && (configuration.AddBosToken.HasValue || configuration.AddEosToken.HasValue)))
        {
            prefix = [.. definition.TemplatePrefix];
            suffix = [.. definition.TemplateSuffix];
        }
        else
        {
            bool addBos = configuration.AddBosToken ?? (definition.HasTemplate && bos is not null && definition.TemplatePrefix.Contains(bos.Id));
            bool addEos = configuration.AddEosToken ?? (definition.HasTemplate && eos is not null && definition.TemplateSuffix.Contains(eos.Id));
            prefix = addBos && bos is not null ? [bos.Id] : [];
            suffix = addEos && eos is not null ? [eos.Id] : [];
        }

        return new TokenizerJsonSpecialTokens(vocabulary, added)
        {
            Bos = bos,
            Eos = eos,
            Unk = unk,
            Pad = pad,
            PrefixIds = prefix,
            SuffixIds = suffix,
        };
    }
}
