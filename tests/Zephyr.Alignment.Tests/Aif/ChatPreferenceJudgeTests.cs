using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Tests.Aif;

public sealed class ChatPreferenceJudgeTests
{
    private static readonly PreferenceJudgeRequest Request = new(
        PromptIds.FromPrompt("Write a poem about rain."),
        "Write a poem about rain.",
        [new Candidate("a", "rain rain rain"), new Candidate("b", "soft grey rain on quiet roofs tonight"), new Candidate("c", "wet", Sample: 1)]);

    [Fact]
    public async Task A_chat_teacher_is_asked_once_per_aspect_and_its_messy_answers_give_the_rules_ratings()
    {
        var teacher = new RuleBasedTeacher.ChatClient();
        PreferenceJudgement judgement = await new ChatPreferenceJudge(teacher).JudgeAsync(Request);

        Assert.Equal(4, teacher.Requests);
        Assert.Equal(0, judgement.FailureCount);
        for (int i = 0; i < Request.Candidates.Count; i++)
        {
            foreach (FeedbackAspect aspect in FeedbackAspects.All)
            {
                AspectRating expected = RuleBasedTeacher.Rate(aspect, Request.Prompt, Request.Candidates[i].Completion);
                Assert.Equal(expected.Rating, judgement.Candidates[i][aspect]!.Rating);
                Assert.Equal(expected.Rationale, judgement.Candidates[i][aspect]!.Rationale);
            }
        }

        Assert.True(judgement.Candidates[1][FeedbackAspect.Honesty]!.IsNotApplicable);
    }

    [Fact]
    public async Task A_refused_answer_is_asked_again_within_the_bound()
    {
        var teacher = new RuleBasedTeacher.ChatClient(garble: (n, _) => n == 1);
        PreferenceJudgement judgement = await new ChatPreferenceJudge(teacher).JudgeAsync(Request);
        Assert.Equal(5, teacher.Requests);
        Assert.Equal(0, judgement.FailureCount);
    }

    [Fact]
    public async Task An_aspect_refused_every_time_is_a_recorded_failure_with_the_raw_answer_never_a_guess()
    {
        // Requests 1-3 are the first aspect (instruction following): all garbled.
        var teacher = new RuleBasedTeacher.ChatClient(garble: (n, _) => n <= 3);
        PreferenceJudgement judgement = await new ChatPreferenceJudge(teacher, new ChatPreferenceJudgeOptions { MaxAttempts = 3 }).JudgeAsync(Request);

        Assert.Equal(3 + 3, teacher.Requests);
        Assert.All(judgement.Candidates, c =>
        {
            JudgeFailure failure = Assert.Single(c.Failures);
            Assert.Equal(FeedbackAspect.InstructionFollowing, failure.Aspect);
            Assert.Equal("I like Text 1 best. Rating: eleven", failure.RawAnswer);
            Assert.Equal("no 'Output for Text N' blocks found", failure.Reason);
            Assert.Equal(3, failure.Attempts);
            Assert.Null(c[FeedbackAspect.InstructionFollowing]);
            Assert.Equal(3, c.Ratings.Count);
            Assert.Null(CandidateScores.Compute(c));
        });
    }
}
