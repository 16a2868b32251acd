namespace Zephyr.Alignment.Pipeline.World;

/// <summary>
/// One instruction of the task world with everything needed to check an answer to it.
/// </summary>
/// <param name="Id">A stable id (<c>kind-seed-index</c>).</param>
/// <param name="Kind">The task family.</param>
/// <param name="Prompt">The user's message.</param>
/// <param name="IdealAnswer">The teacher's answer: right format and right content.</param>
/// <param name="AnswerPattern">
/// The required format as an anchored regular expression over the whole (trimmed) answer; its first group, when it has one,
/// captures the content (a number or a list) that <see cref="ExpectedContent"/> is compared with.
/// </param>
/// <param name="ExpectedContent">The content a correct answer carries, normalised (e.g. <c>12</c> or <c>apple, fig, pear</c>).</param>
/// <param name="Lexicon">For <see cref="TaskKind.Describe"/>: the words that describe the topic truthfully, less the one the prompt forbids; otherwise empty.</param>
/// <param name="WordCount">For <see cref="TaskKind.Describe"/> and <see cref="TaskKind.Repeat"/>: the number of words asked for.</param>
internal sealed record WorldTask(
    string Id,
    TaskKind Kind,
    string Prompt,
    string IdealAnswer,
    string AnswerPattern,
    string ExpectedContent,
    IReadOnlyList<string> Lexicon,
    int WordCount);
