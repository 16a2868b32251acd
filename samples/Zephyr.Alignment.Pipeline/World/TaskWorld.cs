using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Pipeline.World;

/// <summary>
/// The built-in task world of the mini-Zephyr: instruction-following tasks whose answers can be checked (word problems
/// in a required format, comparisons, sorting and reversing lists, "repeat N times", "describe in exactly N words",
/// refusals of unanswerable requests), and the raw text a base model is pretrained on.
/// </summary>
/// <remarks>
/// <para>
/// The tasks need format <i>and</i> content: the same word problem is asked with three different answer formats, the
/// refusal prompts look like the answerable ones ("how many apples will Tom have next year?" carries no numbers), and
/// list tasks differ only in one instruction word. The raw text states the same facts in prose (sums, orders, topic
/// words), never in the chat format, so a model pretrained on it knows the words and facts but not how to answer.
/// </para>
/// <para>Everything is drawn from a seeded generator: the same seed gives the same world, on every machine.</para>
/// </remarks>
internal static class TaskWorld
{
    /// <summary>The refusal every unanswerable request should get.</summary>
    public const string Refusal = "I cannot know that.";

    private static readonly string[] Names = ["Tom", "Ana", "Ben", "Mia", "Sam", "Lea", "Max", "Zoe", "Leo", "Ivy"];
    private static readonly string[] Items = ["apples", "pears", "coins", "books", "cards", "shells", "stamps", "marbles"];
    private static readonly string[] Fruits =
        ["apple", "fig", "kiwi", "lemon", "mango", "pear", "plum", "grape", "cherry", "melon", "olive", "peach", "berry", "date", "lime"];

    private static readonly string[] RepeatWords =
    [
        .. Fruits, "red", "blue", "green", "black", "white", "pink", "cat", "dog", "bird", "fish", "frog", "hello", "yes",
        "sun", "moon", "star", "rain", "snow", "tree", "leaf", "rock", "sand", "milk", "bread", "cake", "ball", "kite", "boat", "car",
        "bus", "book", "pen", "cup", "hat", "shoe", "door", "lamp", "bell", "drum", "duck", "goat", "horse", "mouse", "owl", "bee",
    ];

    private static readonly (string Topic, string[] Words)[] Topics =
    [
        ("sea", ["blue", "deep", "cold", "wide", "calm", "salty"]),
        ("sun", ["hot", "bright", "yellow", "round", "warm", "high"]),
        ("forest", ["green", "dark", "quiet", "tall", "old", "wild"]),
        ("city", ["busy", "loud", "big", "crowded", "modern", "noisy"]),
        ("cat", ["soft", "small", "quick", "curious", "furry", "lazy"]),
        ("winter", ["white", "long", "icy", "snowy", "grey", "frozen"]),
        ("desert", ["dry", "hot", "sandy", "empty", "vast", "dusty"]),
        ("night", ["dark", "quiet", "cool", "long", "starry", "still"]),
        ("river", ["wet", "fast", "cold", "long", "clear", "wide"]),
        ("mountain", ["high", "steep", "rocky", "cold", "tall", "snowy"]),
        ("garden", ["green", "small", "sunny", "pretty", "quiet", "fresh"]),
        ("storm", ["loud", "dark", "wet", "wild", "windy", "fierce"]),
    ];

    private static readonly string[] Unanswerable =
    [
        "What number is {0} thinking of right now?",
        "What will {0} eat for dinner tomorrow?",
        "What is the secret password of {0}?",
        "How many {1} will {0} have next year?",
        "What is the phone number of {0}?",
        "How many {1} did {0} have last year?",
        "What did {0} dream about last night?",
        "What is the favourite song of {0}?",
        "Where will {0} be next week?",
        "How many {1} does {0} keep in a secret box?",
    ];

    /// <summary>All task kinds, in a fixed order.</summary>
    public static IReadOnlyList<TaskKind> Kinds { get; } = Enum.GetValues<TaskKind>();

    /// <summary>
    /// Draws <paramref name="count"/> tasks, none whose prompt is in <paramref name="exclude"/>, cycling through the task
    /// kinds so every kind is equally represented.
    /// </summary>
    /// <param name="count">Number of tasks.</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <param name="exclude">Prompts of the held-out splits; they are never drawn.</param>
    /// <param name="distinct">No two tasks with the same prompt (evaluation and preference splits); false lets training demonstrations repeat.</param>
    /// <returns>The tasks.</returns>
    public static List<WorldTask> Sample(int count, int seed, IEnumerable<string>? exclude = null, bool distinct = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var excluded = new HashSet<string>(exclude ?? [], StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var tasks = new List<WorldTask>(count);
        int attempts = 0;
        while (tasks.Count < count)
        {
            if (++attempts > count * 200 + 1000)
            {
                throw new InvalidOperationException(
                    $"The task world cannot draw {count} distinct prompts with seed {seed} (it found {tasks.Count}); ask for fewer.");
            }

            TaskKind kind = Kinds[tasks.Count % Kinds.Count];
            WorldTask task = Create(kind, random, string.Create(CultureInfo.InvariantCulture, $"{kind}-{seed}-{tasks.Count}"));
            if (!excluded.Contains(task.Prompt) && (seen.Add(task.Prompt) || !distinct))
            {
                tasks.Add(task);
            }
        }

        return tasks;
    }

    /// <summary>
    /// Writes <paramref name="count"/> raw-text documents: the world's facts in prose, without any chat format.
    /// </summary>
    /// <param name="count">Number of documents.</param>
    /// <param name="seed">Seed of the draw.</param>
    /// <returns>The documents, each a few sentences.</returns>
    public static List<string> RawText(int count, int seed)
    {
        var random = new Random(seed);
        var documents = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            var text = new StringBuilder();
            int sentences = random.Next(2, 5);
            for (int s = 0; s < sentences; s++)
            {
                text.Append(s == 0 ? "" : " ").Append(Sentence(random));
            }

            documents.Add(text.ToString());
        }

        return documents;
    }

    private static string Sentence(Random random)
    {
        string name = Pick(random, Names);
        string items = Pick(random, Items);
        switch (random.Next(10))
        {
            case 0:
            {
                var (a, b) = (random.Next(2, 20), random.Next(1, 10));
                return Invariant($"{name} had {a} {items} and got {b} more, so {name} had {a + b} {items}.");
            }

            case 1:
            {
                int a = random.Next(3, 20), b = random.Next(1, a);
                return Invariant($"{name} had {a} {items} and gave {b} away, so {name} had {a - b} {items} left.");
            }

            case 2:
            {
                var (a, b) = (random.Next(2, 20), random.Next(1, 10));
                return random.Next(2) == 0 ? Invariant($"{a} plus {b} is {a + b}.") : Invariant($"{a + b} minus {b} is {a}.");
            }

            case 3:
            {
                var (a, b) = TwoDifferent(random, 1, 30);
                return Invariant($"{Math.Max(a, b)} is larger than {Math.Min(a, b)}.");
            }

            case 4:
            {
                string[] words = Distinct(random, Fruits, random.Next(3, 6));
                return $"In alphabetical order, {string.Join(", ", words)} becomes {string.Join(", ", words.Order(StringComparer.Ordinal))}.";
            }

            case 5:
            {
                string[] words = Distinct(random, Fruits, random.Next(3, 6));
                return $"Backwards, {string.Join(", ", words)} reads {string.Join(", ", words.Reverse())}.";
            }

            case 6:
            {
                int[] numbers = DistinctNumbers(random, random.Next(3, 6));
                return $"From smallest to largest, {Join(numbers)} is {Join(numbers.Order())}.";
            }

            case 7:
            {
                var (topic, lexicon) = Topics[random.Next(Topics.Length)];
                string[] words = Distinct(random, lexicon, 3);
                return $"The {topic} is {words[0]}, {words[1]} and {words[2]}.";
            }

            case 8:
            {
                string word = Pick(random, RepeatWords);
                int n = random.Next(2, 7);
                return Invariant($"The word {word} {n} times is {string.Join(' ', Enumerable.Repeat(word, n))}.");
            }

            default:
                return random.Next(5) switch
                {
                    0 => $"Nobody can know what number {name} is thinking of.",
                    1 => $"Nobody knows the secret password of {name}.",
                    2 => $"Nobody can know what {name} dreamed about last night.",
                    3 => $"Nobody can know where {name} will be next week.",
                    _ => $"Nobody can know how many {items} {name} will have next year.",
                };
        }
    }

    private static WorldTask Create(TaskKind kind, Random random, string id)
    {
        string name = Pick(random, Names);
        string items = Pick(random, Items);
        switch (kind)
        {
            case TaskKind.Arithmetic:
            {
                bool more = random.Next(2) == 0;
                int a = random.Next(3, 20);
                int b = more ? random.Next(1, 10) : random.Next(1, a);
                int answer = more ? a + b : a - b;
                string story = more
                    ? Invariant($"{name} has {a} {items} and gets {b} more.")
                    : Invariant($"{name} has {a} {items} and gives {b} away.");
                string question = $"How many {items} does {name} have now?";
                string value = answer.ToString(CultureInfo.InvariantCulture);
                return random.Next(3) switch
                {
                    0 => new(id, kind, $"{story} {question} Reply in the form: The answer is N.", $"The answer is {value}.",
                        @"^The answer is (\d+)\.$", value, [], 0),
                    1 => new(id, kind, $"{story} {question} Reply with the number only.", value, @"^(\d+)$", value, [], 0),
                    _ => new(id, kind, $"{story} {question} Reply in the form: N {items}.", $"{value} {items}.",
                        $@"^(\d+) {items}\.$", value, [], 0),
                };
            }

            case TaskKind.Compare:
            {
                var (a, b) = TwoDifferent(random, 1, 30);
                string value = Math.Max(a, b).ToString(CultureInfo.InvariantCulture);
                return new(id, kind, Invariant($"Which is larger, {a} or {b}? Reply with the number only."), value, @"^(\d+)$", value, [], 0);
            }

            case TaskKind.SortWords:
            case TaskKind.ReverseWords:
            {
                string[] words = Distinct(random, Fruits, random.Next(3, 6));
                string[] expected = kind == TaskKind.SortWords ? [.. words.Order(StringComparer.Ordinal)] : [.. words.Reverse()];
                string instruction = kind == TaskKind.SortWords ? "Sort these words alphabetically" : "Reverse the order of these words";
                string value = string.Join(", ", expected);
                return new(id, kind, $"{instruction}: {string.Join(", ", words)}. Reply with the words separated by commas.", value,
                    @"^([a-z]+(?:, [a-z]+)*)$", value, [], 0);
            }

            case TaskKind.SortNumbers:
            {
                int[] numbers = DistinctNumbers(random, random.Next(3, 6));
                string value = Join(numbers.Order());
                return new(id, kind, $"Sort these numbers from smallest to largest: {Join(numbers)}. Reply with the numbers separated by commas.",
                    value, @"^(\d+(?:, \d+)*)$", value, [], 0);
            }

            case TaskKind.Repeat:
            {
                string word = Pick(random, RepeatWords);
                int n = random.Next(2, 7);
                string value = string.Join(' ', Enumerable.Repeat(word, n));
                return new(id, kind, Invariant($"Repeat the word {word} {n} times, separated by spaces."), value,
                    @"^([a-z]+(?: [a-z]+)*)$", value, [], n);
            }

            case TaskKind.Describe:
            {
                var (topic, lexicon) = Topics[random.Next(Topics.Length)];
                int n = random.Next(2, 6);
                string banned = Pick(random, lexicon);
                string[] allowed = [.. lexicon.Where(w => w != banned)];
                string value = string.Join(' ', Distinct(random, allowed, n));
                return new(id, kind, Invariant($"Describe the {topic} in exactly {n} words, separated by spaces, without the word {banned}."), value,
                    @"^([a-z]+(?: [a-z]+)*)$", value, allowed, n);
            }

            case TaskKind.Refusal:
            {
                string prompt = string.Format(CultureInfo.InvariantCulture, Pick(random, Unanswerable), name, items);
                return new(id, kind, prompt, Refusal, "^(" + Regex.Escape(Refusal) + ")$", Refusal, [], 0);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown task kind.");
        }
    }

    private static T Pick<T>(Random random, T[] values) => values[random.Next(values.Length)];

    private static string[] Distinct(Random random, string[] pool, int count)
    {
        string[] shuffled = [.. pool];
        random.Shuffle(shuffled);
        return shuffled[..count];
    }

    private static int[] DistinctNumbers(Random random, int count)
    {
        var numbers = new HashSet<int>();
        while (numbers.Count < count)
        {
            numbers.Add(random.Next(1, 30));
        }

        int[] result = [.. numbers];
        random.Shuffle(result);
        return result;
    }

    private static (int A, int B) TwoDifferent(Random random, int min, int max)
    {
        int a = random.Next(min, max);
        int b;
        do
        {
            b = random.Next(min, max);
        }
        while (b == a);
        return (a, b);
    }

    private static string Join(IEnumerable<int> numbers) => string.Join(", ", numbers.Select(n => n.ToString(CultureInfo.InvariantCulture)));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
