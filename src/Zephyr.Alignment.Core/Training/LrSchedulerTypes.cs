namespace Zephyr.Alignment.Training;

/// <summary>
/// The learning-rate schedule names of <see cref="TrainingOptions.LrSchedulerType"/>, spelled as Hugging Face's
/// <c>lr_scheduler_type</c> so that TRL configurations carry over.
/// </summary>
public static class LrSchedulerTypes
{
    /// <summary><c>linear</c>: linear warmup from 0, then linear decay to 0 at the last step (<c>get_linear_schedule_with_warmup</c>).</summary>
    public const string Linear = "linear";

    /// <summary><c>cosine</c>: linear warmup from 0, then a half cosine down to 0 at the last step (<c>get_cosine_schedule_with_warmup</c>).</summary>
    public const string Cosine = "cosine";

    /// <summary><c>constant</c>: the base learning rate at every step; warmup is ignored, as in Hugging Face.</summary>
    public const string Constant = "constant";

    /// <summary><c>constant_with_warmup</c>: linear warmup from 0, then the base learning rate.</summary>
    public const string ConstantWithWarmup = "constant_with_warmup";

    /// <summary>Every supported name.</summary>
    public static IReadOnlyList<string> All { get; } = [Linear, Cosine, Constant, ConstantWithWarmup];
}
