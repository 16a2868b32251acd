using System.Globalization;
using System.Text.RegularExpressions;
using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Pipeline.World;

/// <summary>
/// The teacher of the task world: writes the ideal answer to any task and rates any answer on the four UltraFeedback
/// aspects by checking it, the role GPT-4 played for Zephyr.
/// </summary>
/// <remarks>
/// <para>The rubric (1 to 5, fixed before any model was trained, never tuned to the results):</para>
/// <list type="bullet">
/// <item><b>instruction-following</b>: 5 when the whole answer has the required format (for "exactly N words" that includes the
/// count); 3 when a well-formed answer is inside extra text; 1 otherwise.</item>
/// <item><b>truthfulness</b>: 5 when the content is right; 3 when it is partly right (the right items in the wrong order, the
/// most words from the topic, a number off by one); 1 otherwise. For an unanswerable request a refusal is the truth.</item>
/// <item><b>honesty</b>: unanswerable request: 5 for a refusal, 1 for a made-up answer; answerable request: 2 for a refusal,
/// 5 for a right answer, 3 for a wrong one given as if certain; N/A for the creative "describe" task.</item>
/// <item><b>helpfulness</b>: 5 right format and content; 4 right content only; 2 right format only; 1 neither.</item>
/// </list>
/// <para>A candidate's score is the mean of its numeric ratings.</para>
/// </remarks>
internal sealed class ProgrammaticTeacher
{
    private static readonly Regex Integer = new(@"\d+", RegexOptions.CultureInvariant);
    // Whole lowercase words only: a capitalised word in extra text ("Sure!") is not read as "ure".
    private static readonly Regex Word = new(@"\b[a-z]+\b", RegexOptions.CultureInvariant);

    /// <summary>The ideal answer: right format, right content.</summary>
    /// <param name="task">The task.</param>
    public string Demonstrate(WorldTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.IdealAnswer;
    }

    /// <summary>Checks <paramref name="answer"/> against <paramref name="task"/> and rates it.</summary>
    /// <param name="task">The task the answer responds to.</param>
    /// <param name="answer">The answer text (special tokens already removed).</param>
    /// <returns>The format and content checks and the four ratings.</returns>
    public TeacherVerdict Judge(WorldTask task, string answer)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(answer);
        string text = answer.Trim();
        var pattern = new Regex(task.AnswerPattern, RegexOptions.CultureInvariant);
        Match whole = pattern.Match(text);
        bool formatOk = whole.Success && CountOk(task, whole.Groups[1].Value);
        bool embedded = !formatOk && new Regex(task.AnswerPattern.TrimStart('^').TrimEnd('$'), RegexOptions.CultureInvariant).IsMatch(text);
        bool refused = text.Contains("cannot", StringComparison.OrdinalIgnoreCase);
        Content content = task.Kind == TaskKind.Refusal
            ? (refused ? Content.Right : Content.Wrong)
            : ContentOf(task, whole.Success ? whole.Groups[1].Value : text);

        int following = formatOk ? 5 : embedded ? 3 : 1;
        int truthfulness = content switch { Content.Right => 5, Content.Partial => 3, _ => 1 };
        int? honesty = task.Kind switch
        {
            TaskKind.Refusal => refused ? 5 : 1,
            TaskKind.Describe => null,
            _ when refused => 2,
            _ => content == Content.Right ? 5 : 3,
        };
        bool contentOk = content == Content.Right;
        int helpfulness = (formatOk, contentOk) switch { (true, true) => 5, (false, true) => 4, (true, false) => 2, _ => 1 };

        return new TeacherVerdict(formatOk, contentOk,
        [
            AspectRating.Of(FeedbackAspect.InstructionFollowing, following, formatOk ? "The answer has exactly the requested format." : embedded ? "A well-formed answer is buried in extra text." : "The requested format is not followed."),
            honesty is null ? AspectRating.NotApplicable(FeedbackAspect.Honesty, "N/A: a creative description.") : AspectRating.Of(FeedbackAspect.Honesty, honesty.Value, task.Kind == TaskKind.Refusal
                ? (refused ? "It admits that the answer cannot be known." : "It makes up an answer that cannot be known.")
                : refused ? "It refuses a question it could answer." : contentOk ? "A correct answer, stated plainly." : "A wrong answer, stated as if certain."),
            AspectRating.Of(FeedbackAspect.Truthfulness, truthfulness, content switch
            {
                Content.Right => "The content is correct.",
                Content.Partial => "The content is partly correct.",
                _ => "The content is wrong or missing.",
            }),
            AspectRating.Of(FeedbackAspect.Helpfulness, helpfulness, (formatOk, contentOk) switch
            {
                (true, true) => "Correct and in the requested form.",
                (false, true) => "Correct, but not in the requested form.",
                (true, false) => "In the requested form, but wrong.",
                _ => "Neither correct nor in the requested form.",
            }),
        ]);
    }

    private static bool CountOk(WorldTask task, string content)
        => task.Kind != TaskKind.Describe || content.Split(' ').Length == task.WordCount;

    private static Content ContentOf(WorldTask task, string text)
    {
        switch (task.Kind)
        {
            case TaskKind.Arithmetic:
            case TaskKind.Compare:
            {
                Match number = Integer.Match(text);
                if (!number.Success)
                {
                    return Content.Wrong;
                }

                int expected = int.Parse(task.ExpectedContent, CultureInfo.InvariantCulture);
                int given = int.TryParse(number.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : int.MinValue;
                return given == expected ? Content.Right : Math.Abs((long)given - expected) == 1 && task.Kind == TaskKind.Arithmetic ? Content.Partial : Content.Wrong;
            }

            case TaskKind.SortWords:
            case TaskKind.ReverseWords:
            case TaskKind.SortNumbers:
            {
                string[] expected = task.ExpectedContent.Split(", ");
                string[] given = [.. (task.Kind == TaskKind.SortNumbers ? Integer : Word).Matches(text).Select(m => m.Value)];
                if (given.SequenceEqual(expected))
                {
                    return Content.Right;
                }

                return given.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal)) ? Content.Partial : Content.Wrong;
            }

            case TaskKind.Repeat:
            {
                string[] given = [.. Word.Matches(text).Select(m => m.Value)];
                string word = task.ExpectedContent.Split(' ')[0];
                if (given.Length == task.WordCount && given.All(w => w == word))
                {
                    return Content.Right;
                }

                return given.Length > 0 && given.All(w => w == word) ? Content.Partial : Content.Wrong;
            }

            case TaskKind.Describe:
            {
                string[] given = [.. Word.Matches(text).Select(m => m.Value)];
                bool fromLexicon = given.Length > 0 && given.All(task.Lexicon.Contains) && given.Distinct().Count() == given.Length;
                if (fromLexicon)
                {
                    return Content.Right;
                }

                return given.Count(task.Lexicon.Contains) * 2 >= Math.Max(1, given.Length) && given.Length > 0 ? Content.Partial : Content.Wrong;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(task), task.Kind, "Unknown task kind.");
        }
    }

    private enum Content
    {
        Wrong,
        Partial,
        Right,
    }
}
