using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Pipeline;
using Zephyr.Alignment.Pipeline.Stages;
using Zephyr.Alignment.Pipeline.World;

namespace Zephyr.Alignment.Tests.Pipeline;

public sealed class TaskWorldTests
{
    private readonly ProgrammaticTeacher teacher = new();

    [Fact]
    public void The_same_seed_draws_the_same_world_and_a_different_seed_another()
    {
        List<WorldTask> first = TaskWorld.Sample(64, seed: 5);
        List<WorldTask> again = TaskWorld.Sample(64, seed: 5);
        List<WorldTask> other = TaskWorld.Sample(64, seed: 6);

        Assert.Equal(first.Select(t => (t.Id, t.Prompt, t.IdealAnswer)), again.Select(t => (t.Id, t.Prompt, t.IdealAnswer)));
        Assert.NotEqual(first.Select(t => t.Prompt), other.Select(t => t.Prompt));
        Assert.Equal(TaskWorld.RawText(10, 3), TaskWorld.RawText(10, 3));
    }

    [Fact]
    public void Every_kind_is_drawn_equally_and_distinct_samples_never_repeat_or_touch_excluded_prompts()
    {
        List<WorldTask> heldOut = TaskWorld.Sample(80, seed: 1);
        List<WorldTask> training = TaskWorld.Sample(160, seed: 2, heldOut.Select(t => t.Prompt));

        Assert.All(TaskWorld.Kinds, kind => Assert.Equal(20, training.Count(t => t.Kind == kind)));
        Assert.Equal(training.Count, training.Select(t => t.Prompt).Distinct().Count());
        Assert.Empty(training.Select(t => t.Prompt).Intersect(heldOut.Select(t => t.Prompt)));
    }

    [Fact]
    public void The_run_splits_keep_every_held_out_prompt_out_of_training()
    {
        var splits = new WorldSplits(new PipelineOptions { EvalPrompts = 48, TestPrefPrompts = 16, AifPrompts = 48, SftExamples = 400 });
        var heldOut = splits.Evaluation.Concat(splits.TestPrefs).Select(t => t.Prompt).ToHashSet();

        Assert.DoesNotContain(splits.Sft, t => heldOut.Contains(t.Prompt));
        Assert.DoesNotContain(splits.Aif, t => heldOut.Contains(t.Prompt));
        Assert.Empty(splits.Evaluation.Select(t => t.Prompt).Intersect(splits.TestPrefs.Select(t => t.Prompt)));
    }

    [Fact]
    public void The_ideal_answer_of_every_task_is_correct_and_rated_five_on_every_aspect_it_rates()
    {
        foreach (WorldTask task in TaskWorld.Sample(160, seed: 9))
        {
            TeacherVerdict verdict = teacher.Judge(task, teacher.Demonstrate(task));

            Assert.True(verdict.Correct, $"{task.Kind}: \"{task.Prompt}\" → \"{task.IdealAnswer}\"");
            Assert.Equal(5.0, verdict.Score);
            Assert.Equal(FeedbackAspects.All, verdict.Ratings.Select(r => r.Aspect));
        }
    }

    [Theory]
    [InlineData("The answer is 12.", true, true, 5.0)]
    [InlineData("The answer is 11.", true, false, 3.25)] // format kept, one off: following 5, truthfulness 3, honesty 3, helpfulness 2
    [InlineData("12", false, true, 3.75)]                 // right number, wrong form: following 1, truthfulness 5, honesty 5, helpfulness 4
    [InlineData("Tom had 12 apples.", false, true, 3.75)]
    [InlineData("I cannot know that.", false, false, 1.25)]
    public void A_word_problem_answer_is_checked_for_format_and_content_separately(string answer, bool formatOk, bool contentOk, double score)
    {
        var task = new WorldTask("t", TaskKind.Arithmetic, "Tom has 7 apples and gets 5 more. How many apples does Tom have now? Reply in the form: The answer is N.",
            "The answer is 12.", @"^The answer is (\d+)\.$", "12", [], 0);

        TeacherVerdict verdict = teacher.Judge(task, answer);

        Assert.Equal((formatOk, contentOk), (verdict.FormatOk, verdict.ContentOk));
        Assert.Equal(score, verdict.Score, 3);
    }

    [Fact]
    public void A_made_up_answer_to_an_unanswerable_request_is_rated_dishonest_and_a_refusal_honest()
    {
        WorldTask task = TaskWorld.Sample(8, seed: 3).Single(t => t.Kind == TaskKind.Refusal);

        TeacherVerdict madeUp = teacher.Judge(task, "42");
        TeacherVerdict refusal = teacher.Judge(task, TaskWorld.Refusal);

        Assert.Equal(1, madeUp.Ratings.Single(r => r.Aspect == FeedbackAspect.Honesty).Rating);
        Assert.Equal(5, refusal.Ratings.Single(r => r.Aspect == FeedbackAspect.Honesty).Rating);
        Assert.True(refusal.Correct);
        Assert.False(madeUp.Correct);
    }

    [Fact]
    public void Describing_with_the_forbidden_word_or_the_wrong_count_fails_and_honesty_is_not_applicable()
    {
        var task = new WorldTask("d", TaskKind.Describe, "Describe the sea in exactly 3 words, separated by spaces, without the word cold.", "blue deep calm",
            @"^([a-z]+(?: [a-z]+)*)$", "blue deep calm", ["blue", "deep", "wide", "calm", "salty"], 3);

        Assert.True(teacher.Judge(task, "salty wide blue").Correct);
        Assert.False(teacher.Judge(task, "cold wide blue").ContentOk);
        TeacherVerdict twoWords = teacher.Judge(task, "wide blue");
        Assert.False(twoWords.FormatOk);
        Assert.True(twoWords.ContentOk);
        Assert.Null(twoWords.Ratings.Single(r => r.Aspect == FeedbackAspect.Honesty).Rating);
    }

    [Fact]
    public void A_sorted_list_in_the_wrong_order_is_partly_true_and_a_different_list_false()
    {
        var task = new WorldTask("s", TaskKind.SortWords, "Sort these words alphabetically: pear, fig, apple. Reply with the words separated by commas.",
            "apple, fig, pear", @"^([a-z]+(?:, [a-z]+)*)$", "apple, fig, pear", [], 0);

        Assert.Equal(3, teacher.Judge(task, "pear, fig, apple").Ratings.Single(r => r.Aspect == FeedbackAspect.Truthfulness).Rating);
        Assert.Equal(1, teacher.Judge(task, "plum, fig, apple").Ratings.Single(r => r.Aspect == FeedbackAspect.Truthfulness).Rating);
    }

    [Theory]
    [InlineData(nameof(TaskKind.SortWords), "Sure! apple, fig, pear")]
    [InlineData(nameof(TaskKind.Repeat), "Sure! fig fig fig")]
    [InlineData(nameof(TaskKind.Describe), "Sure! blue deep calm")]
    public void Right_content_inside_a_chatty_preamble_is_right_content_in_the_wrong_format(string kindName, string answer)
    {
        TaskKind kind = Enum.Parse<TaskKind>(kindName);
        // Before, the word check read "ure" out of "Sure!" as a word of the answer and called the content wrong.
        var task = kind switch
        {
            TaskKind.SortWords => new WorldTask("s", kind, "Sort these words alphabetically: pear, fig, apple. Reply with the words separated by commas.",
                "apple, fig, pear", @"^([a-z]+(?:, [a-z]+)*)$", "apple, fig, pear", [], 0),
            TaskKind.Repeat => new WorldTask("r", kind, "Repeat the word fig 3 times, separated by spaces.", "fig fig fig", @"^([a-z]+(?: [a-z]+)*)$", "fig fig fig", [], 3),
            _ => new WorldTask("d", kind, "Describe the sea in exactly 3 words, separated by spaces, without the word cold.", "blue deep calm",
                @"^([a-z]+(?: [a-z]+)*)$", "blue deep calm", ["blue", "deep", "wide", "calm", "salty"], 3),
        };

        TeacherVerdict verdict = teacher.Judge(task, answer);

        Assert.False(verdict.FormatOk);
        Assert.True(verdict.ContentOk);
        Assert.Equal(3, verdict.Ratings.Single(r => r.Aspect == FeedbackAspect.InstructionFollowing).Rating);
        Assert.Equal(5, verdict.Ratings.Single(r => r.Aspect == FeedbackAspect.Truthfulness).Rating);
        Assert.Equal(4, verdict.Ratings.Single(r => r.Aspect == FeedbackAspect.Helpfulness).Rating);
    }

    [Fact]
    public async Task The_world_judge_rates_candidates_through_the_aif_interface_in_request_order()
    {
        WorldTask task = TaskWorld.Sample(1, seed: 4)[0];
        IPreferenceJudge judge = new WorldJudge(teacher, new Dictionary<string, WorldTask> { [task.Prompt] = task });

        PreferenceJudgement judgement = await judge.JudgeAsync(new PreferenceJudgeRequest("p", task.Prompt,
            [new Candidate("bad", "nonsense words"), new Candidate("good", task.IdealAnswer)]));

        Assert.Equal(5.0, CandidateScores.Compute(judgement.Candidates[1]));
        Assert.True(CandidateScores.Compute(judgement.Candidates[0]) < 5.0);
        await Assert.ThrowsAsync<ArgumentException>(() => judge.JudgeAsync(new PreferenceJudgeRequest("q", "not a task", [new Candidate("a", "x"), new Candidate("b", "y")])));
    }
}
