using Microsoft.Extensions.Options;
using Zephyr.Alignment.Pipeline.World;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>
/// The run's task splits, drawn once from the seed. The held-out prompts (evaluation and <c>test_prefs</c>) are drawn
/// first and excluded from every training split, so no evaluation prompt is ever trained on.
/// </summary>
internal sealed class WorldSplits
{
    public WorldSplits(PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Evaluation = Draw(nameof(options.EvalPrompts), () => TaskWorld.Sample(options.EvalPrompts, options.Seed + 1));
        TestPrefs = Draw(nameof(options.TestPrefPrompts), () => TaskWorld.Sample(options.TestPrefPrompts, options.Seed + 2, Evaluation.Select(t => t.Prompt)));
        string[] heldOut = [.. Evaluation.Concat(TestPrefs).Select(t => t.Prompt)];
        Aif = Draw(nameof(options.AifPrompts), () => TaskWorld.Sample(options.AifPrompts, options.Seed + 3, heldOut));
        Sft = Draw(nameof(options.SftExamples), () => TaskWorld.Sample(options.SftExamples, options.Seed + 4, heldOut, distinct: false));
        SftEval = TestPrefs;
        ById = Evaluation.Concat(TestPrefs).Concat(Aif).ToDictionary(t => t.Prompt, StringComparer.Ordinal);
    }

    /// <summary>Draws one split; a count the world cannot supply is a bad setting, named as such (exit code 2).</summary>
    private static List<WorldTask> Draw(string setting, Func<List<WorldTask>> sample)
    {
        try
        {
            return sample();
        }
        catch (InvalidOperationException exception)
        {
            throw new OptionsValidationException(nameof(PipelineOptions), typeof(PipelineOptions), [$"{setting}: {exception.Message}"]);
        }
    }

    /// <summary>Held-out prompts of the final evaluation.</summary>
    public List<WorldTask> Evaluation { get; }

    /// <summary>Held-out prompts binarized into <c>test_prefs</c>.</summary>
    public List<WorldTask> TestPrefs { get; }

    /// <summary>Held-in prompts binarized into <c>train_prefs</c>.</summary>
    public List<WorldTask> Aif { get; }

    /// <summary>dSFT demonstrations' tasks (may repeat; never a held-out prompt).</summary>
    public List<WorldTask> Sft { get; }

    /// <summary>Held-out demonstrations for the dSFT evaluation loss.</summary>
    public List<WorldTask> SftEval { get; }

    /// <summary>The judged tasks by prompt text, which is how a judge that only sees text finds the task.</summary>
    public IReadOnlyDictionary<string, WorldTask> ById { get; }
}
