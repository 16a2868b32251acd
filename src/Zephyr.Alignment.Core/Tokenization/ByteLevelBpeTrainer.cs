using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// Trains a byte-level BPE tokenizer (GPT-2 style, Sennrich et al. 2016) on a text corpus and writes it as a Hugging Face
/// tokenizer folder (<c>tokenizer.json</c>, <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>) that
/// <see cref="HuggingFaceTokenizer.FromFolder"/> and Python's <c>AutoTokenizer</c> both load. Meant for small experiments
/// that train a model from scratch on a closed world; real checkpoints bring their own tokenizer.
/// </summary>
/// <remarks>
/// The text is split with GPT-2's pattern (what the written <c>ByteLevel</c> pre-tokenizer does), each piece becomes its
/// UTF-8 bytes, and the most frequent adjacent pair is merged until the vocabulary is full; ties go to the pair that sorts
/// first (ordinal), so the same corpus always gives the same tokenizer.
/// </remarks>
public static class ByteLevelBpeTrainer
{
    /// <summary>Trains on <paramref name="corpus"/> and writes the tokenizer files into <paramref name="directory"/>.</summary>
    /// <param name="corpus">The training texts (plain text, without special tokens).</param>
    /// <param name="options">Vocabulary size, special tokens and chat template.</param>
    /// <param name="directory">The folder to write to (created when missing); the three files are replaced.</param>
    /// <returns>The number of merges learned.</returns>
    /// <exception cref="ArgumentException">An option is out of range or a special token is empty or repeated.</exception>
    public static int Train(IEnumerable<string> corpus, ByteLevelBpeTrainerOptions options, string directory)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string[] added = [options.UnkToken, options.BosToken, options.EosToken, options.PadToken, .. options.AdditionalTokens];
        if (added.Any(string.IsNullOrEmpty) || added.Distinct(StringComparer.Ordinal).Count() != added.Length)
        {
            throw new ArgumentException($"The special and additional tokens must be non-empty and distinct; got [{string.Join(", ", added)}].", nameof(options));
        }

        if (options.VocabularySize < 256 + added.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"VocabularySize must hold the 256 byte symbols and {added.Length} added tokens; got {options.VocabularySize}."),
                nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinFrequency, 1, $"{nameof(options)}.{nameof(options.MinFrequency)}");

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            vocabulary[ByteLevelAlphabet.ToChar((byte)b).ToString()] = b;
        }

        List<(string Left, string Right)> merges = LearnMerges(corpus, options, vocabulary, options.VocabularySize - added.Length);
        Directory.CreateDirectory(directory);
        int firstAdded = vocabulary.Count;
        WriteAtomically(Path.Combine(directory, HuggingFaceTokenizer.TokenizerJsonFileName), TokenizerJson(vocabulary, merges, added, firstAdded, options));
        WriteAtomically(Path.Combine(directory, "tokenizer_config.json"), TokenizerConfig(added, firstAdded, options));
        WriteAtomically(Path.Combine(directory, "special_tokens_map.json"), SpecialTokensMap(options));
        return merges.Count;
    }

    private static List<(string, string)> LearnMerges(
        IEnumerable<string> corpus, ByteLevelBpeTrainerOptions options, Dictionary<string, int> vocabulary, int targetSize)
    {
        var split = new Regex(TokenizerJsonDefinition.Gpt2SplitPattern, RegexOptions.CultureInvariant);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string text in corpus)
        {
            foreach (Match piece in split.Matches(text ?? throw new ArgumentException("The corpus holds a null text.", nameof(corpus))))
            {
                string symbols = string.Concat(Encoding.UTF8.GetBytes(piece.Value).Select(b => ByteLevelAlphabet.ToChar(b)));
                counts[symbols] = counts.GetValueOrDefault(symbols) + 1;
            }
        }

        // Each distinct piece as its current symbols, with how often it occurs.
        var words = counts.Select(pair => (Symbols: pair.Key.Select(c => c.ToString()).ToList(), Count: pair.Value)).ToList();
        var merges = new List<(string, string)>();
        while (vocabulary.Count < targetSize)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    pairs[pair] = pairs.GetValueOrDefault(pair) + count;
                }
            }

            if (pairs.Count == 0)
            {
                break;
            }

            var best = pairs
                .OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1, StringComparer.Ordinal)
                .ThenBy(p => p.Key.Item2, StringComparer.Ordinal)
                .First();
            if (best.Value < options.MinFrequency)
            {
                break;
            }

            var (left, right) = best.Key;
            string joined = left + right;
            merges.Add((left, right));
            vocabulary.TryAdd(joined, vocabulary.Count);
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = joined;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }

        return merges;
    }

    private static string TokenizerJson(
        Dictionary<string, int> vocabulary, List<(string Left, string Right)> merges, string[] added, int firstAdded, ByteLevelBpeTrainerOptions options)
    {
        var specials = new HashSet<string>([options.UnkToken, options.BosToken, options.EosToken, options.PadToken], StringComparer.Ordinal);
        var vocab = new JsonObject();
        foreach (var (token, id) in vocabulary.OrderBy(p => p.Value))
        {
            vocab[token] = id;
        }

        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray([.. added.Select((token, i) => (JsonNode)new JsonObject
            {
                ["id"] = firstAdded + i,
                ["content"] = token,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = specials.Contains(token),
            })]),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. merges.Select(m => (JsonNode)new JsonArray(m.Left, m.Right))]),
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string TokenizerConfig(string[] added, int firstAdded, ByteLevelBpeTrainerOptions options)
    {
        var specials = new HashSet<string>([options.UnkToken, options.BosToken, options.EosToken, options.PadToken], StringComparer.Ordinal);
        var decoder = new JsonObject();
        for (int i = 0; i < added.Length; i++)
        {
            decoder[(firstAdded + i).ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = added[i],
                ["lstrip"] = false,
                ["normalized"] = false,
                ["rstrip"] = false,
                ["single_word"] = false,
                ["special"] = specials.Contains(added[i]),
            };
        }

        var root = new JsonObject
        {
            ["add_bos_token"] = true,
            ["add_eos_token"] = false,
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = options.BosToken,
            ["eos_token"] = options.EosToken,
            ["unk_token"] = options.UnkToken,
            ["pad_token"] = options.PadToken,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = options.ModelMaxLength,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
        };
        if (options.ChatTemplate is { } template)
        {
            root["chat_template"] = template;
        }

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string SpecialTokensMap(ByteLevelBpeTrainerOptions options) => new JsonObject
    {
        ["bos_token"] = options.BosToken,
        ["eos_token"] = options.EosToken,
        ["unk_token"] = options.UnkToken,
        ["pad_token"] = options.PadToken,
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static void WriteAtomically(string path, string text)
    {
        string temporary = path + ".tmp";
        File.WriteAllText(temporary, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, path, overwrite: true);
    }
}
