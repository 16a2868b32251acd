using Zephyr.Alignment.Pipeline;
using Zephyr.Alignment.Pipeline.Stages;
using Zephyr.Alignment.Pipeline.World;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary>The weaker assistant that writes the dSFT demonstrations (GPT-3.5-turbo's role): its habits, their rates and the teacher's view of them.</summary>
public sealed class DemonstratorTests
{
    private readonly ProgrammaticTeacher teacher = new();

    [Fact]
    public void With_both_rates_zero_every_demonstration_is_the_teachers_ideal_answer()
    {
        List<WorldTask> tasks = TaskWorld.Sample(160, seed: 3);

        List<string> demonstrations = new Demonstrator(teacher, 0, 0).Demonstrate(tasks, seed: 1);

        Assert.Equal(tasks.Select(t => t.IdealAnswer), demonstrations);
    }

    [Fact]
    public void With_both_rates_one_every_answer_has_its_habit_and_the_teacher_marks_each_down_without_losing_the_content()
    {
        List<WorldTask> tasks = TaskWorld.Sample(160, seed: 3);

        List<string> demonstrations = new Demonstrator(teacher, 1, 1).Demonstrate(tasks, seed: 1);

        for (int i = 0; i < tasks.Count; i++)
        {
            TeacherVerdict verdict = teacher.Judge(tasks[i], demonstrations[i]);
            Assert.False(verdict.Correct, $"{tasks[i].Kind}: \"{demonstrations[i]}\"");
            Assert.True(verdict.Score < 5.0);
            if (tasks[i].Kind == TaskKind.Refusal)
            {
                Assert.Matches(@"^The answer is \d+\.$", demonstrations[i]);
                Assert.Equal(1, verdict.Ratings.Single(r => r.Aspect == Zephyr.Alignment.Aif.Judging.FeedbackAspect.Honesty).Rating);
            }
            else
            {
                Assert.Equal($"{Demonstrator.Preamble} {tasks[i].IdealAnswer}", demonstrations[i]);
                Assert.False(verdict.FormatOk);
            }
        }
    }

    [Fact]
    public void Each_habit_appears_at_its_rate_and_the_same_seed_writes_the_same_demonstrations()
    {
        List<WorldTask> tasks = TaskWorld.Sample(4000, seed: 8, distinct: false);
        var demonstrator = new Demonstrator(teacher, 0.6, 0.3);

        List<string> demonstrations = demonstrator.Demonstrate(tasks, seed: 11);

        double preambles = tasks.Select((t, i) => (t, i)).Where(x => x.t.Kind != TaskKind.Refusal)
            .Average(x => demonstrations[x.i].StartsWith(Demonstrator.Preamble + " ", StringComparison.Ordinal) ? 1.0 : 0.0);
        double madeUp = tasks.Select((t, i) => (t, i)).Where(x => x.t.Kind == TaskKind.Refusal)
            .Average(x => demonstrations[x.i] == TaskWorld.Refusal ? 0.0 : 1.0);
        // 3,500 and 500 draws: five standard deviations are 0.042 and 0.10.
        Assert.InRange(preambles, 0.6 - 0.042, 0.6 + 0.042);
        Assert.InRange(madeUp, 0.3 - 0.10, 0.3 + 0.10);
        Assert.Equal(demonstrations, demonstrator.Demonstrate(tasks, seed: 11));
        Assert.NotEqual(demonstrations, demonstrator.Demonstrate(tasks, seed: 12));
    }

    [Theory]
    [InlineData(-0.1, 0)]
    [InlineData(0, 1.5)]
    [InlineData(double.NaN, 0)]
    public void A_rate_outside_zero_to_one_is_refused_by_the_demonstrator_and_by_the_options_validator(double preamble, double madeUp)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Demonstrator(teacher, preamble, madeUp));

        var failures = new PipelineOptionsValidator().Validate(null, new PipelineOptions
        {
            DemonstratorPreambleRate = preamble,
            DemonstratorMadeUpAnswerRate = madeUp,
        }).Failures;

        Assert.Single(failures!, f => f.Contains("must be between 0 and 1", StringComparison.Ordinal));
    }

    [Fact]
    public void The_dsft_demonstrations_follow_the_run_settings_and_keep_their_order()
    {
        var options = new PipelineOptions { EvalPrompts = 48, TestPrefPrompts = 16, AifPrompts = 48, SftExamples = 400, DemonstratorPreambleRate = 1, DemonstratorMadeUpAnswerRate = 0 };
        using var folder = new Infrastructure.TempDirectory();
        var context = new PipelineContext(options, new RunLayout(folder.Path), new Zephyr.Alignment.Pipeline.Reporting.PipelineConsole(),
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.Equal(context.Splits.Sft.Count, context.SftDemonstrations.Count);
        Assert.Equal(context.Splits.SftEval.Count, context.SftEvalDemonstrations.Count);
        Assert.All(context.Splits.Sft.Zip(context.SftDemonstrations), pair => Assert.Equal(
            pair.First.Kind == TaskKind.Refusal ? TaskWorld.Refusal : $"{Demonstrator.Preamble} {pair.First.IdealAnswer}", pair.Second));
    }
}
