using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Tests.Aif;

public sealed class RatingAnswerParserTests
{
    [Fact]
    public void Reads_the_canonical_format()
    {
        const string answer = "#### Output for Text 1\nRating: 4\nRationale: Good.\n\n#### Output for Text 2\nRating: 2\nRationale: Misses the point.\nAlso rambles.";
        IReadOnlyList<AspectRating> ratings = Parse(answer, FeedbackAspect.Helpfulness, 2);
        Assert.Equal([4, 2], ratings.Select(r => r.Rating));
        Assert.Equal("Good.", ratings[0].Rationale);
        Assert.Equal("Misses the point.\nAlso rambles.", ratings[1].Rationale);
        Assert.All(ratings, r => Assert.Equal(FeedbackAspect.Helpfulness, r.Aspect));
    }

    [Fact]
    public void Accepts_markdown_bold_slash_five_any_order_prose_and_na()
    {
        const string answer = """
            Sure! Here is my assessment of the three texts.

            **Text 3:**
            **Rating:** 4/5
            **Rationale:** Hedges appropriately.

            ### Output for Text 1
            - Rating: N/A
            - Rationale: A poem; nothing to be sure about.

            **Text 2**
            Rating: **5**
            Rationale: Precise.

            Overall, Text 2 is the most honest.
            """;
        IReadOnlyList<AspectRating> ratings = Parse(answer, FeedbackAspect.Honesty, 3);
        Assert.Equal([null, 5, 4], ratings.Select(r => r.Rating));
        Assert.True(ratings[0].IsNotApplicable);
        Assert.Equal("A poem; nothing to be sure about.", ratings[0].Rationale);
        Assert.Equal("Hedges appropriately.", ratings[2].Rationale);
    }

    [Fact]
    public void A_single_text_may_answer_without_a_heading()
    {
        IReadOnlyList<AspectRating> ratings = Parse("Rating: 3\nRationale: Fine.", FeedbackAspect.Truthfulness, 1);
        Assert.Equal(3, Assert.Single(ratings).Rating);
    }

    [Theory]
    [InlineData("#### Output for Text 1\nRating: 6\n#### Output for Text 2\nRating: 2", "Text 1: rating 6 is outside 1..5")]
    [InlineData("#### Output for Text 1\nRating: 0\n#### Output for Text 2\nRating: 2", "Text 1: rating 0 is outside 1..5")]
    [InlineData("#### Output for Text 1\nRating: 4.5\n#### Output for Text 2\nRating: 2", "Text 1: rating '4.5' is not a whole number")]
    [InlineData("#### Output for Text 1\nRating: 8/10\n#### Output for Text 2\nRating: 2", "Text 1: rating '8/10' is not on the 1..5 scale")]
    [InlineData("#### Output for Text 1\nRating: 4", "Text 2 is missing")]
    [InlineData("#### Output for Text 2\nRating: 4\n#### Output for Text 2\nRating: 3\n#### Output for Text 1\nRating: 1", "Text 2 is rated twice")]
    [InlineData("#### Output for Text 1\nRating: 4\n#### Output for Text 3\nRating: 3", "Text 3 does not exist (the request showed 2 texts)")]
    [InlineData("#### Output for Text 1\nRationale: no number\n#### Output for Text 2\nRating: 3", "Text 1: no 'Rating:' line")]
    [InlineData("#### Output for Text 1\nRating: 4\nRating: 5\n#### Output for Text 2\nRating: 3", "Text 1: two 'Rating:' lines")]
    [InlineData("#### Output for Text 1\nRating: N/A\n#### Output for Text 2\nRating: 3", "Text 1: N/A is not allowed for helpfulness")]
    [InlineData("I think the first one is better.", "no 'Output for Text N' blocks found")]
    public void Refuses_what_it_would_have_to_guess(string answer, string expectedError)
    {
        Assert.False(RatingAnswerParser.TryParse(answer, FeedbackAspect.Helpfulness, 2, out IReadOnlyList<AspectRating> ratings, out string error));
        Assert.Empty(ratings);
        Assert.Equal(expectedError, error);
    }

    [Fact]
    public void Prose_mentioning_a_text_is_not_a_heading()
    {
        const string answer = "#### Output for Text 1\nRating: 4\nRationale: Text 2 is worse than this.\n#### Output for Text 2\nRating: 2\nRationale: ok";
        Assert.Equal([4, 2], Parse(answer, FeedbackAspect.Helpfulness, 2).Select(r => r.Rating));
    }

    [Fact]
    public void The_rubric_request_numbers_every_candidate_and_states_the_format()
    {
        string request = UltraFeedbackRubric.BuildRequest(FeedbackAspect.Honesty, "Write a haiku.", ["one", "two", "three"]);
        Assert.Contains("<text 1>\none\n</text 1>", request, StringComparison.Ordinal);
        Assert.Contains("<text 3>\nthree\n</text 3>", request, StringComparison.Ordinal);
        Assert.Contains("#### Output for Text 1\nRating: <1-5 or N/A>\nRationale:", request.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("N/A", UltraFeedbackRubric.BuildRequest(FeedbackAspect.Helpfulness, "Add 2+2.", ["4"]), StringComparison.Ordinal);
    }

    private static IReadOnlyList<AspectRating> Parse(string answer, FeedbackAspect aspect, int count)
    {
        Assert.True(RatingAnswerParser.TryParse(answer, aspect, count, out IReadOnlyList<AspectRating> ratings, out string error), error);
        return ratings;
    }
}
