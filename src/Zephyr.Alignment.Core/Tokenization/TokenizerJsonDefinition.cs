using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// The parts of a Hugging Face <c>tokenizer.json</c> that a BPE tokenizer needs, read with System.Text.Json, in
/// one of two forms: byte-level BPE (a <c>ByteLevel</c> pre-tokenizer: GPT-2, Llama-3, Qwen) or SentencePiece-style
/// BPE (<c>Prepend</c>/<c>Replace</c> normalizers or a <c>Metaspace</c> pre-tokenizer, usually with
/// <c>byte_fallback</c>: Llama-2, Mistral, TinyLlama, Gemma). Anything outside those shapes is rejected with a
/// <see cref="NotSupportedException"/> naming the file and the part, rather than silently encoding differently
/// from Hugging Face.
/// </summary>
internal sealed class TokenizerJsonDefinition
{
    /// <summary>GPT-2's split pattern, used by a ByteLevel pre-tokenizer with <c>use_regex: true</c>.</summary>
    public const string Gpt2SplitPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // .NET's \s is [\f\n\r\t\v\x85\p{Z}], the same set as Unicode White_Space that Oniguruma's \s matches.
    private const RegexOptions SplitRegexOptions = RegexOptions.Compiled | RegexOptions.CultureInvariant;

    private readonly string _path;

    private TokenizerJsonDefinition(string path) => _path = path;

    public Dictionary<string, int> Vocabulary { get; } = new(StringComparer.Ordinal);

    /// <summary>Merges as <c>"left right"</c>, in rank order.</summary>
    public List<string> Merges { get; } = [];

    /// <summary>Merges as token pairs, in rank order (the same list as <see cref="Merges"/>).</summary>
    public List<(string Left, string Right)> MergePairs { get; } = [];

    public bool IgnoreMerges { get; private set; }

    /// <summary>Whether the pre-tokenizer holds a <c>ByteLevel</c> step (byte-level BPE); else the SentencePiece-style form.</summary>
    public bool IsByteLevel { get; private set; }

    /// <summary><c>model.byte_fallback</c>: characters outside the vocabulary become <c>&lt;0xXX&gt;</c> byte tokens.</summary>
    public bool ByteFallback { get; private set; }

    /// <summary><c>model.unk_token</c>, or <see langword="null"/>.</summary>
    public string? UnknownToken { get; private set; }

    /// <summary><c>model.fuse_unk</c>: consecutive unknown characters become one unknown token.</summary>
    public bool FuseUnknown { get; private set; }

    /// <summary>SentencePiece-style form: the normalizer steps, in order.</summary>
    public List<ITextNormalizer> Normalizers { get; } = [];

    /// <summary>SentencePiece-style form: the pre-tokenizer steps, in order.</summary>
    public List<IPreTokenizer> PreTokenizers { get; } = [];

    /// <summary>SentencePiece-style form: the decoder steps, in order; empty when the file has no decoder.</summary>
    public List<ITokenDecoder> Decoders { get; } = [];

    /// <summary>Whether the file has a decoder (without one, tokens are joined with spaces, as tokenizers does).</summary>
    public bool HasDecoder { get; private set; }

    /// <summary>Unicode NFC normalization (Qwen2's <c>normalizer</c>).</summary>
    public bool NormalizeNfc { get; private set; }

    /// <summary>Split patterns applied in order, each isolating its matches.</summary>
    public List<Regex> SplitSteps { get; } = [];

    public List<AddedToken> AddedTokens { get; } = [];

    /// <summary>Whether a TemplateProcessing post-processor was found; then it decides bos/eos.</summary>
    public bool HasTemplate { get; private set; }

    /// <summary>Ids the template puts before the text.</summary>
    public List<int> TemplatePrefix { get; } = [];

    /// <summary>Ids the template puts after the text.</summary>
    public List<int> TemplateSuffix { get; } = [];

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or is missing required parts.</exception>
    /// <exception cref="NotSupportedException">The file describes a tokenizer other than byte-level BPE.</exception>
    public static TokenizerJsonDefinition Read(string path)
    {
        var definition = new TokenizerJsonDefinition(path);
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw definition.Invalid("the root is not a JSON object");
            }

            definition.ReadModel(root);
            definition.IsByteLevel = HasStep(Property(root, "pre_tokenizer"), "pretokenizers", "ByteLevel");
            if (definition.IsByteLevel)
            {
                if (definition.ByteFallback)
                {
                    throw definition.Unsupported("model.byte_fallback: true in a byte-level BPE");
                }

                definition.ReadNormalizer(Property(root, "normalizer"));
                definition.ReadPreTokenizer(Property(root, "pre_tokenizer"));
                definition.ReadDecoder(Property(root, "decoder"));
            }
            else
            {
                definition.ReadNormalizer(Property(root, "normalizer"));
                definition.ReadPreTokenizer(Property(root, "pre_tokenizer"));
                definition.ReadSentencePieceDecoder(Property(root, "decoder"));
            }

            definition.ReadAddedTokens(Property(root, "added_tokens"));
            definition.ReadPostProcessor(Property(root, "post_processor"));
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {exception.Message}", exception);
        }
        catch (InvalidOperationException exception)
        {
            throw new InvalidDataException($"'{path}' has a field of the wrong kind: {exception.Message}", exception);
        }
        catch (ArgumentException exception)
        {
            throw new InvalidDataException($"'{path}' has an invalid value: {exception.Message}", exception);
        }

        return definition;
    }

    private void ReadModel(JsonElement root)
    {
        JsonElement model = Property(root, "model");
        if (model.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("it has no \"model\" object");
        }

        string? type = StringProperty(model, "type");
        if (type is not null && type != "BPE")
        {
            throw Unsupported($"model type '{type}' (only BPE is supported)");
        }

        ByteFallback = BoolProperty(model, "byte_fallback");
        UnknownToken = StringProperty(model, "unk_token");
        FuseUnknown = BoolProperty(model, "fuse_unk");
        if (Property(model, "dropout") is { ValueKind: JsonValueKind.Number } dropout && dropout.GetDouble() > 0)
        {
            throw Unsupported("model.dropout (BPE dropout is a training-time augmentation)");
        }

        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            if (!string.IsNullOrEmpty(StringProperty(model, affix)))
            {
                throw Unsupported($"model.{affix}");
            }
        }

        IgnoreMerges = BoolProperty(model, "ignore_merges");

        JsonElement vocabulary = Property(model, "vocab");
        if (vocabulary.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("model.vocab is not an object");
        }

        foreach (JsonProperty entry in vocabulary.EnumerateObject())
        {
            Vocabulary[entry.Name] = entry.Value.GetInt32();
        }

        JsonElement merges = Property(model, "merges");
        if (merges.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("model.merges is not an array");
        }

        foreach (JsonElement merge in merges.EnumerateArray())
        {
            // Older files write "a b"; tokenizers 0.20+ writes ["a", "b"]. Byte-level tokens hold no spaces
            // (a space is 'Ġ'), so joining with one is unambiguous.
            if (merge.ValueKind == JsonValueKind.String)
            {
                string text = merge.GetString()!;
                string[] parts = text.Split(' ');
                if (parts.Length != 2)
                {
                    throw Invalid($"merge \"{text}\" is not two tokens separated by one space");
                }

                Merges.Add(text);
                MergePairs.Add((parts[0], parts[1]));
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            {
                string left = merge[0].GetString()!;
                string right = merge[1].GetString()!;
                Merges.Add($"{left} {right}");
                MergePairs.Add((left, right));
            }
            else
            {
                throw Invalid($"merge {merge.GetRawText()} is neither \"a b\" nor [\"a\", \"b\"]");
            }
        }
    }

    private void ReadDecoder(JsonElement decoder)
    {
        string? type = decoder.ValueKind == JsonValueKind.Object ? StringProperty(decoder, "type") : null;
        if (type == "ByteLevel")
        {
            return;
        }

        if (type == "Sequence")
        {
            JsonElement[] inner = [.. Property(decoder, "decoders").EnumerateArray()];
            if (inner.Length == 1)
            {
                ReadDecoder(inner[0]);
                return;
            }
        }

        throw Unsupported($"decoder '{type ?? "null"}' (only ByteLevel is supported)");
    }

    private void ReadNormalizer(JsonElement normalizer)
    {
        if (normalizer.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        string? type = StringProperty(normalizer, "type");
        if (IsByteLevel && type is not ("Sequence" or "NFC"))
        {
            throw Unsupported($"normalizer '{type}' in a byte-level BPE (only NFC is)");
        }

        switch (type)
        {
            case "Sequence":
                foreach (JsonElement inner in Property(normalizer, "normalizers").EnumerateArray())
                {
                    ReadNormalizer(inner);
                }

                break;
            case "Prepend":
                Normalizers.Add(new PrependNormalizer(StringProperty(normalizer, "prepend") ?? throw Invalid("a Prepend normalizer has no \"prepend\"")));
                break;
            case "Replace":
                Normalizers.Add(new ReplaceNormalizer(ReadPattern(normalizer, "Replace normalizer"), StringProperty(normalizer, "content") ?? string.Empty));
                break;
            case "NFC":
                NormalizeNfc = true;
                Normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormC));
                break;
            case "NFD":
                Normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormD));
                break;
            case "NFKC":
                Normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormKC));
                break;
            case "NFKD":
                Normalizers.Add(new UnicodeNormalizer(NormalizationForm.FormKD));
                break;
            default:
                throw Unsupported($"normalizer '{type}'");
        }
    }

    private void ReadPreTokenizer(JsonElement preTokenizer)
    {
        if (preTokenizer.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        string? type = StringProperty(preTokenizer, "type");
        switch (type)
        {
            case "Sequence":
                foreach (JsonElement inner in Property(preTokenizer, "pretokenizers").EnumerateArray())
                {
                    ReadPreTokenizer(inner);
                }

                break;
            case "Metaspace" when !IsByteLevel:
                PreTokenizers.Add(ReadMetaspace(preTokenizer));
                break;
            case "Split":
            {
                string behavior = StringProperty(preTokenizer, "behavior") ?? "Isolated";
                bool invert = BoolProperty(preTokenizer, "invert");
                if (!Enum.TryParse(behavior, out SplitBehavior parsed) || (IsByteLevel && (parsed != SplitBehavior.Isolated || invert)))
                {
                    throw Unsupported($"pre_tokenizer Split with behavior '{behavior}' and invert {invert}{(IsByteLevel ? " in a byte-level BPE (only Isolated, not inverted)" : string.Empty)}");
                }

                AddSplit(ReadPattern(preTokenizer, "Split pre_tokenizer"), parsed, invert);
                break;
            }

            case "Digits":
                AddSplit(new Regex(BoolProperty(preTokenizer, "individual_digits") ? @"\p{N}" : @"\p{N}+", SplitRegexOptions), SplitBehavior.Isolated, invert: false);
                break;
            case "ByteLevel":
                if (BoolProperty(preTokenizer, "add_prefix_space"))
                {
                    throw Unsupported("pre_tokenizer ByteLevel with add_prefix_space: true");
                }

                // use_regex defaults to true in tokenizers.
                if (!Property(preTokenizer, "use_regex").ValueKindIs(JsonValueKind.False))
                {
                    SplitSteps.Add(new Regex(Gpt2SplitPattern, SplitRegexOptions));
                }

                break;
            default:
                throw Unsupported($"pre_tokenizer '{type}'");
        }
    }

    private void AddSplit(Regex pattern, SplitBehavior behavior, bool invert)
    {
        if (IsByteLevel)
        {
            SplitSteps.Add(pattern);
        }
        else
        {
            PreTokenizers.Add(new SplitPreTokenizer(pattern, behavior, invert));
        }
    }

    private MetaspacePreTokenizer ReadMetaspace(JsonElement element)
    {
        string replacement = StringProperty(element, "replacement") ?? "\u2581";
        if (replacement.Length != 1)
        {
            throw Invalid($"Metaspace replacement '{replacement}' is not one character");
        }

        // Files written before tokenizers 0.19 have add_prefix_space instead of prepend_scheme.
        string scheme = StringProperty(element, "prepend_scheme")
            ?? (Property(element, "add_prefix_space").ValueKindIs(JsonValueKind.False) ? "never" : "always");
        MetaspacePrependScheme parsed = scheme switch
        {
            "always" => MetaspacePrependScheme.Always,
            "first" => MetaspacePrependScheme.First,
            "never" => MetaspacePrependScheme.Never,
            _ => throw Unsupported($"Metaspace prepend_scheme '{scheme}'"),
        };

        // split defaults to true in tokenizers.
        bool split = !Property(element, "split").ValueKindIs(JsonValueKind.False);
        return new MetaspacePreTokenizer(replacement[0], parsed, split);
    }

    private void ReadSentencePieceDecoder(JsonElement decoder)
    {
        if (decoder.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        HasDecoder = true;
        string? type = StringProperty(decoder, "type");
        switch (type)
        {
            case "Sequence":
                foreach (JsonElement inner in Property(decoder, "decoders").EnumerateArray())
                {
                    ReadSentencePieceDecoder(inner);
                }

                break;
            case "Replace":
                Decoders.Add(new ReplaceDecoder(ReadPattern(decoder, "Replace decoder"), StringProperty(decoder, "content") ?? string.Empty));
                break;
            case "ByteFallback":
                Decoders.Add(new ByteFallbackDecoder());
                break;
            case "Fuse":
                Decoders.Add(new FuseDecoder());
                break;
            case "Strip":
            {
                string content = StringProperty(decoder, "content") ?? " ";
                if (content.Length != 1)
                {
                    throw Invalid($"Strip decoder content '{content}' is not one character");
                }

                Decoders.Add(new StripDecoder(content[0], IntProperty(decoder, "start"), IntProperty(decoder, "stop")));
                break;
            }

            case "Metaspace":
                Decoders.Add(new MetaspaceDecoder(ReadMetaspace(decoder)));
                break;
            default:
                throw Unsupported($"decoder '{type}' in a SentencePiece-style tokenizer");
        }
    }

    private Regex ReadPattern(JsonElement element, string what)
    {
        JsonElement pattern = Property(element, "pattern");
        string? regex = StringProperty(pattern, "Regex");
        string? literal = StringProperty(pattern, "String");
        if (regex is null && literal is null)
        {
            throw Invalid($"a {what} has neither pattern.Regex nor pattern.String");
        }

        return new Regex(regex ?? Regex.Escape(literal!), SplitRegexOptions);
    }

    private static bool HasStep(JsonElement element, string listName, string type)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (StringProperty(element, "type") == type)
        {
            return true;
        }

        return Property(element, listName) is { ValueKind: JsonValueKind.Array } list && list.EnumerateArray().Any(inner => HasStep(inner, listName, type));
    }

    private static int IntProperty(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.Number } value ? value.GetInt32() : 0;

    private void ReadAddedTokens(JsonElement addedTokens)
    {
        if (addedTokens.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (JsonElement token in addedTokens.EnumerateArray())
        {
            AddedTokens.Add(TokenizerConfiguration.ReadAddedToken(token, Property(token, "id").GetInt32(), _path));
        }
    }

    private void ReadPostProcessor(JsonElement processor)
    {
        if (processor.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        string? type = StringProperty(processor, "type");
        switch (type)
        {
            case "Sequence":
                foreach (JsonElement inner in Property(processor, "processors").EnumerateArray())
                {
                    ReadPostProcessor(inner);
                }

                break;
            case "ByteLevel":
                // Only adjusts offsets in tokenizers; our offsets never include the byte-level prefix space.
                break;
            case "TemplateProcessing":
                ReadTemplate(processor);
                break;
            default:
                throw Unsupported($"post_processor '{type}'");
        }
    }

    private void ReadTemplate(JsonElement template)
    {
        HasTemplate = true;
        JsonElement specialTokens = Property(template, "special_tokens");
        bool afterSequence = false;
        foreach (JsonElement item in Property(template, "single").EnumerateArray())
        {
            if (item.TryGetProperty("Sequence", out _))
            {
                afterSequence = true;
                continue;
            }

            string name = Property(Property(item, "SpecialToken"), "id").GetString()
                ?? throw Invalid("a TemplateProcessing item is neither Sequence nor SpecialToken");
            JsonElement entry = Property(specialTokens, name);
            if (entry.ValueKind != JsonValueKind.Object)
            {
                throw Invalid($"post_processor.special_tokens has no entry for '{name}'");
            }

            foreach (JsonElement id in Property(entry, "ids").EnumerateArray())
            {
                (afterSequence ? TemplateSuffix : TemplatePrefix).Add(id.GetInt32());
            }
        }
    }

    private InvalidDataException Invalid(string what) => new($"'{_path}' is not a valid tokenizer.json: {what}.");

    private NotSupportedException Unsupported(string what) => new($"'{_path}': {what} is not supported.");

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) ? value : default;

    private static string? StringProperty(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static bool BoolProperty(JsonElement element, string name) =>
        Property(element, name).ValueKindIs(JsonValueKind.True);
}
