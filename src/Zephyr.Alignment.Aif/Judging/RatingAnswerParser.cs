using System.Globalization;
using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Aif.Judging;

/// <summary>
/// Reads a teacher's answer to one <see cref="UltraFeedbackRubric"/> request: a <c>Rating:</c> and a
/// <c>Rationale:</c> for each of Text 1..N. Accepts what real teachers write; refuses to guess.
/// </summary>
/// <remarks>
/// <para><b>Accepted:</b> Markdown headings and bold (<c>#### Output for Text 2</c>, <c>**Text 2**</c>,
/// <c>**Rating:** 4</c>), <c>4/5</c>, <c>N/A</c> (only where the aspect allows it), blocks in any order, and prose
/// before, between or after the blocks (a rationale ends at the first blank line). With a single text, a lone <c>Rating:</c> line without a heading counts as Text 1.</para>
/// <para><b>Refused</b> (the answer is retried, then recorded as a failure): a rating outside 1..5 or not a whole
/// number, a scale other than /5, N/A where the aspect does not allow it, a missing text, a text rated twice, a text
/// number that does not exist, a block with no or two <c>Rating:</c> lines.</para>
/// </remarks>
public static partial class RatingAnswerParser
{
    /// <summary>Parses <paramref name="answer"/>.</summary>
    /// <param name="answer">The teacher's answer.</param>
    /// <param name="aspect">The aspect the request asked for.</param>
    /// <param name="textCount">How many texts the request showed.</param>
    /// <param name="ratings">One rating per text, in text order, when the answer is accepted.</param>
    /// <param name="error">Why the answer was refused, naming the text.</param>
    /// <returns>Whether the answer was accepted.</returns>
    public static bool TryParse(string answer, FeedbackAspect aspect, int textCount, out IReadOnlyList<AspectRating> ratings, out string error)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentOutOfRangeException.ThrowIfLessThan(textCount, 1);
        ratings = [];
        string[] lines = answer.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');

        // Split into blocks at the heading lines; the text before the first heading is prose.
        var blocks = new List<(int Text, int Start, int End)>();
        for (int i = 0; i < lines.Length; i++)
        {
            Match heading = Heading().Match(lines[i]);
            if (heading.Success)
            {
                if (blocks.Count > 0)
                {
                    blocks[^1] = blocks[^1] with { End = i };
                }

                blocks.Add((int.Parse(heading.Groups["n"].Value, CultureInfo.InvariantCulture), i + 1, lines.Length));
            }
        }

        if (blocks.Count == 0 && textCount == 1)
        {
            blocks.Add((1, 0, lines.Length));
        }

        if (blocks.Count == 0)
        {
            error = "no 'Output for Text N' blocks found";
            return false;
        }

        var found = new AspectRating?[textCount];
        foreach ((int text, int start, int end) in blocks)
        {
            if (text < 1 || text > textCount)
            {
                error = $"Text {text} does not exist (the request showed {textCount} texts)";
                return false;
            }

            if (found[text - 1] is not null)
            {
                error = $"Text {text} is rated twice";
                return false;
            }

            if (!TryParseBlock(lines, start, end, aspect, out AspectRating? rating, out string blockError))
            {
                error = $"Text {text}: {blockError}";
                return false;
            }

            found[text - 1] = rating;
        }

        int missing = Array.FindIndex(found, r => r is null);
        if (missing >= 0)
        {
            error = $"Text {missing + 1} is missing";
            return false;
        }

        ratings = found.Select(r => r!).ToArray();
        error = string.Empty;
        return true;
    }

    private static bool TryParseBlock(string[] lines, int start, int end, FeedbackAspect aspect, out AspectRating? rating, out string error)
    {
        rating = null;
        Match? ratingMatch = null;
        int rationaleLine = -1;
        for (int i = start; i < end; i++)
        {
            Match m = RatingLine().Match(lines[i]);
            if (m.Success)
            {
                if (ratingMatch is not null)
                {
                    error = "two 'Rating:' lines";
                    return false;
                }

                ratingMatch = m;
            }
            else if (rationaleLine < 0 && RationaleLine().IsMatch(lines[i]))
            {
                rationaleLine = i;
            }
        }

        if (ratingMatch is null)
        {
            error = "no 'Rating:' line";
            return false;
        }

        // The rationale runs from its label to the first blank line after it (prose after the last block is not part of it).
        string rationale = string.Empty;
        if (rationaleLine >= 0)
        {
            var parts = new List<string> { RationaleLine().Replace(lines[rationaleLine], string.Empty) };
            for (int i = rationaleLine + 1; i < end && !string.IsNullOrWhiteSpace(lines[i]) && !RatingLine().IsMatch(lines[i]); i++)
            {
                parts.Add(lines[i]);
            }

            rationale = string.Join('\n', parts).Trim().Trim('*').Trim();
        }

        string value = ratingMatch.Groups["value"].Value;
        if (value.Length > 0 && char.IsLetter(value[0]))
        {
            if (!UltraFeedbackRubric.AllowsNotApplicable(aspect))
            {
                error = $"N/A is not allowed for {aspect.ToWireName()}";
                return false;
            }

            rating = AspectRating.NotApplicable(aspect, rationale);
            error = string.Empty;
            return true;
        }

        if (ratingMatch.Groups["scale"].Success && ratingMatch.Groups["scale"].Value != "5")
        {
            error = $"rating '{value}/{ratingMatch.Groups["scale"].Value}' is not on the 1..5 scale";
            return false;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            error = $"rating '{value}' is not a whole number";
            return false;
        }

        if (number < AspectRating.MinRating || number > AspectRating.MaxRating)
        {
            error = $"rating {number} is outside 1..5";
            return false;
        }

        rating = AspectRating.Of(aspect, number, rationale);
        error = string.Empty;
        return true;
    }

    // "#### Output for Text 2", "**Text 2:**", "Text 2", "### Text 2 ###": the whole line is the marker.
    [GeneratedRegex(@"^\s*(?:#{1,6}\s*)?[*_]*\s*(?:output\s+for\s+)?text\s*#?\s*(?<n>\d+)\s*[*_:#.)\-]*\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Heading();

    // "Rating: 4", "**Rating:** 4", "- Rating: 4/5", "Rating: N/A", "Rating: **3**".
    [GeneratedRegex(@"^[\s>*_\-#]*rating[\s*_]*[:：][\s*_]*(?<value>N\s*/\s*A|NA|\d+(?:\.\d+)?)(?:\s*/\s*(?<scale>\d+))?[\s*_.]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RatingLine();

    [GeneratedRegex(@"^[\s>*_\-#]*rationale[\s*_]*[:：][\s*_]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RationaleLine();
}
