using System.Text.Json.Serialization;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>One row of the ablation table (one object of <c>ablation.json</c>).</summary>
internal sealed record VariantMetrics
{
    /// <summary><c>base</c>, <c>dsft</c>, <c>ddpo_only</c> or <c>dsft_ddpo</c>.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>Held-out prompts evaluated.</summary>
    [JsonPropertyName("prompts")]
    public required int Prompts { get; init; }

    /// <summary>Fraction answered in the required format with the right content, the turn ended with eos.</summary>
    [JsonPropertyName("task_accuracy")]
    public required double TaskAccuracy { get; init; }

    /// <summary>Fraction whose whole answer has the required format and ends the turn (eos), right or wrong.</summary>
    [JsonPropertyName("format_accuracy")]
    public required double FormatAccuracy { get; init; }

    /// <summary>Mean teacher score (mean of the four aspect ratings, 1 to 5) over the held-out answers.</summary>
    [JsonPropertyName("teacher_score")]
    public required double TeacherScore { get; init; }

    /// <summary>Teacher-judged win rate against the dSFT model's answer to the same prompt (ties count half).</summary>
    [JsonPropertyName("win_rate_vs_dsft")]
    public required double WinRateVsDsft { get; init; }

    /// <summary>Held-out prompts on which the teacher scores the variant's answer above the dSFT model's (0 for dSFT itself).</summary>
    [JsonPropertyName("wins_vs_dsft")]
    public required int WinsVsDsft { get; init; }

    /// <summary>Held-out prompts on which the teacher scores the variant's answer below the dSFT model's.</summary>
    [JsonPropertyName("losses_vs_dsft")]
    public required int LossesVsDsft { get; init; }

    /// <summary>Held-out prompts on which the two answers score the same (they count half in the win rate).</summary>
    [JsonPropertyName("ties_vs_dsft")]
    public required int TiesVsDsft { get; init; }

    /// <summary>Fraction of answers that ended with eos (rather than at the token limit).</summary>
    [JsonPropertyName("stopped_on_eos")]
    public required double StoppedOnEos { get; init; }

    /// <summary>
    /// Fraction of answers with the right content, whatever their format (a diagnostic beside the teacher's ratings: with
    /// <see cref="TaskAccuracy"/> it separates what a variant knows from how it answers).
    /// </summary>
    [JsonPropertyName("content_accuracy")]
    public required double ContentAccuracy { get; init; }

    /// <summary>
    /// The demonstrator's first habit: fraction of the answers to answerable prompts that open with its chatty preamble
    /// (<see cref="World.Demonstrator.Preamble"/>). A diagnostic beside the teacher's ratings, not one of them.
    /// </summary>
    [JsonPropertyName("preamble_rate")]
    public required double PreambleRate { get; init; }

    /// <summary>
    /// The demonstrator's second habit: fraction of the unanswerable prompts answered with something other than a refusal.
    /// A diagnostic beside the teacher's ratings, not one of them.
    /// </summary>
    [JsonPropertyName("made_up_answer_rate")]
    public required double MadeUpAnswerRate { get; init; }

    /// <summary>Held-out <c>eval_rewards/accuracies</c> on <c>test_prefs</c> against the variant's DPO reference; null for variants without DPO.</summary>
    [JsonPropertyName("eval_rewards_accuracies")]
    public double? EvalRewardsAccuracies { get; init; }

    /// <summary>Held-out <c>eval_rewards/margins</c> on <c>test_prefs</c>; null for variants without DPO.</summary>
    [JsonPropertyName("eval_rewards_margins")]
    public double? EvalRewardsMargins { get; init; }

    /// <summary>Task accuracy per task kind.</summary>
    [JsonPropertyName("task_accuracy_by_kind")]
    public required IReadOnlyDictionary<string, double> TaskAccuracyByKind { get; init; }
}
