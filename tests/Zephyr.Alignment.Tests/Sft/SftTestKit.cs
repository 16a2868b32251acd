using System.Text.Json;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Sft;

/// <summary>Tokenizer, tiny models, synthetic dialogues and a log recorder for the SFT tests.</summary>
internal static class SftTestKit
{
    private static readonly Lazy<ITokenizer> LazyTokenizer = new(() => HuggingFaceTokenizer.FromFolder(TestPaths.Fixture("tiny-llama")));

    /// <summary>The tiny-llama fixture's SentencePiece tokenizer (vocabulary 512, the handbook's Zephyr chat template).</summary>
    public static ITokenizer Tokenizer => LazyTokenizer.Value;

    /// <summary>A random Llama small enough to train in seconds on CPU, over the fixture tokenizer's vocabulary.</summary>
    public static CausalLanguageModel TinyModel(long seed = 1, double attentionDropout = 0.0, int hidden = 64)
    {
        TorchRuntime.EnsureInitialized();
        var config = new TransformerConfig
        {
            ModelType = "llama",
            HiddenSize = hidden,
            IntermediateSize = hidden * 2,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            MaxPositionEmbeddings = 256,
            VocabSize = Tokenizer.VocabularySize,
            AttentionDropout = attentionDropout,
        };
        return CausalLanguageModel.CreateRandom(config, seed: seed);
    }

    /// <summary>Writes conversations as <c>ultrachat_200k</c> JSON Lines rows.</summary>
    public static string WriteConversations(string path, IEnumerable<IReadOnlyList<ConversationMessage>> conversations)
    {
        using var writer = new StreamWriter(path);
        int id = 0;
        foreach (IReadOnlyList<ConversationMessage> messages in conversations)
        {
            var row = new
            {
                prompt = messages.First(m => m.Role == MessageRole.User).Content,
                prompt_id = $"p{id++}",
                messages = messages.Select(m => new { content = m.Content, role = m.Role.ToWireName() }),
            };
            writer.WriteLine(JsonSerializer.Serialize(row));
        }

        return path;
    }

    /// <summary>Writes raw JSON Lines.</summary>
    public static string WriteLines(string path, params string[] lines)
    {
        File.WriteAllLines(path, lines);
        return path;
    }

    public static ConversationMessage User(string text) => new(MessageRole.User, text);

    public static ConversationMessage Assistant(string text) => new(MessageRole.Assistant, text);

    public static ConversationMessage System(string text) => new(MessageRole.System, text);

    public static Dictionary<string, byte[]> Snapshot(IPolicyModel model)
        => model.NamedTrainableParameters().ToDictionary(p => p.Name, p => Bytes(p.Parameter));

    public static byte[] Bytes(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().contiguous().bytes.ToArray();
    }
}

/// <summary>
/// The proof task: "Tell me the capital of c?" → "It is C." over the letters a–t in ten phrasings. Every letter is
/// trained in nine phrasings; its tenth phrasing is held out, so the held-out prompts are new sentences of the same rule.
/// The letter always ends the question, so the answer sits at a fixed distance from it.
/// </summary>
internal static class CapitalLetterTask
{
    public const string Letters = "abcdefghijklmnopqrst";

    public static readonly string[] Phrasings =
    [
        "What is the capital form of {0}?",
        "Which upper case letter matches {0}?",
        "Tell me the capital of {0}?",
        "Capitalise the letter {0}?",
        "Upper case of {0}?",
        "What is the big letter for {0}?",
        "Please capitalise {0}?",
        "How do you write a capital {0}?",
        "Show the upper case {0}?",
        "Give the capital letter of {0}?",
    ];

    public static string Question(int phrasing, int letter) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Phrasings[phrasing], Letters[letter]);

    public static string Answer(int letter) => $"It is {char.ToUpperInvariant(Letters[letter])}.";

    public static bool IsHeldOut(int phrasing, int letter) => phrasing == letter % Phrasings.Length;

    public static IEnumerable<(int Phrasing, int Letter)> Pairs(bool heldOut) =>
        from letter in Enumerable.Range(0, Letters.Length)
        from phrasing in Enumerable.Range(0, Phrasings.Length)
        where IsHeldOut(phrasing, letter) == heldOut
        select (phrasing, letter);

    /// <summary>Every training pair as a one-turn conversation, plus two-turn conversations of random training pairs.</summary>
    public static List<IReadOnlyList<ConversationMessage>> Training(int twoTurn = 40, int seed = 7)
    {
        var pairs = Pairs(heldOut: false).ToArray();
        var conversations = pairs.Select(p => (IReadOnlyList<ConversationMessage>)[SftTestKit.User(Question(p.Phrasing, p.Letter)), SftTestKit.Assistant(Answer(p.Letter))]).ToList();
        var random = new Random(seed);
        for (int i = 0; i < twoTurn; i++)
        {
            var (p1, l1) = pairs[random.Next(pairs.Length)];
            var (p2, l2) = pairs[random.Next(pairs.Length)];
            conversations.Add(
            [
                SftTestKit.User(Question(p1, l1)), SftTestKit.Assistant(Answer(l1)),
                SftTestKit.User(Question(p2, l2)), SftTestKit.Assistant(Answer(l2)),
            ]);
        }

        return conversations;
    }

    public static List<IReadOnlyList<ConversationMessage>> HeldOut() =>
        [.. Pairs(heldOut: true).Select(p => (IReadOnlyList<ConversationMessage>)[SftTestKit.User(Question(p.Phrasing, p.Letter)), SftTestKit.Assistant(Answer(p.Letter))])];
}

/// <summary>Records log events with their structured fields.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, int EventId, string Message, Dictionary<string, object?> Fields)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs ? pairs.ToDictionary(p => p.Key, p => p.Value) : [];
        lock (Entries)
        {
            Entries.Add((logLevel, eventId.Id, formatter(state, exception), fields));
        }
    }

    public (LogLevel Level, int EventId, string Message, Dictionary<string, object?> Fields) Single(int eventId)
        => Assert.Single(Entries, e => e.EventId == eventId);
}
