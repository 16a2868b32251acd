using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>The schedules match transformers' get_linear_schedule_with_warmup and get_cosine_schedule_with_warmup.</summary>
public sealed class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(5, 0.5)]
    [InlineData(10, 1.0)]
    [InlineData(60, 0.5)] // (110 - 60) / (110 - 10)
    [InlineData(85, 0.25)]
    [InlineData(110, 0.0)]
    [InlineData(130, 0.0)] // past the end it stays at 0, never negative
    public void Linear_warms_up_then_decays_to_zero(long step, double expected)
        => Assert.Equal(expected, new LearningRateSchedule(LrSchedulerTypes.Linear, 10, 110).Multiplier(step), 12);

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(4, 0.4)]
    [InlineData(10, 1.0)]
    [InlineData(35, 0.85355339059327373)] // ½(1 + cos(π/4)): a quarter of the decay done
    [InlineData(60, 0.5)] // ½(1 + cos(π/2))
    [InlineData(85, 0.14644660940672624)] // ½(1 + cos(3π/4))
    [InlineData(110, 0.0)]
    public void Cosine_warms_up_then_follows_a_half_cosine(long step, double expected)
        => Assert.Equal(expected, new LearningRateSchedule(LrSchedulerTypes.Cosine, 10, 110).Multiplier(step), 12);

    [Fact]
    public void Cosine_matches_the_closed_form_at_every_step()
    {
        var schedule = new LearningRateSchedule(LrSchedulerTypes.Cosine, 3, 17);
        for (long step = 0; step <= 17; step++)
        {
            double expected = step < 3 ? step / 3.0 : 0.5 * (1 + Math.Cos(Math.PI * (step - 3) / 14.0));
            Assert.Equal(expected, schedule.Multiplier(step), 12);
        }
    }

    [Fact]
    public void Constant_schedules_ignore_or_apply_warmup()
    {
        Assert.Equal(1.0, new LearningRateSchedule(LrSchedulerTypes.Constant, 10, 100).Multiplier(0));
        var warm = new LearningRateSchedule(LrSchedulerTypes.ConstantWithWarmup, 10, 100);
        Assert.Equal(0.3, warm.Multiplier(3), 12);
        Assert.Equal(1.0, warm.Multiplier(10));
        Assert.Equal(1.0, warm.Multiplier(99));
    }

    [Fact]
    public void No_warmup_starts_at_the_peak()
    {
        Assert.Equal(1.0, new LearningRateSchedule(LrSchedulerTypes.Linear, 0, 50).Multiplier(0));
        Assert.Equal(1.0, new LearningRateSchedule(LrSchedulerTypes.Cosine, 0, 50).Multiplier(0));
    }

    [Theory]
    [InlineData(0.1, 0, 95, 10)] // ceil(9.5), as TrainingArguments.get_warmup_steps
    [InlineData(0.1, 0, 100, 10)]
    [InlineData(0.0, 0, 100, 0)]
    [InlineData(0.1, 7, 100, 7)] // explicit steps win
    public void Warmup_steps_round_the_ratio_up_unless_given(double ratio, int steps, long total, long expected)
        => Assert.Equal(expected, LearningRateSchedule.ResolveWarmupSteps(ratio, steps, total));

    [Fact]
    public void Unknown_schedule_is_rejected_with_its_name()
    {
        var error = Assert.Throws<ArgumentException>(() => new LearningRateSchedule("polynomial", 0, 10));
        Assert.Contains("polynomial", error.Message, StringComparison.Ordinal);
    }
}
