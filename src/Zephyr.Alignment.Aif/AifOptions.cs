using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Candidates;
using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Aif;

/// <summary>
/// An AIF run: prompts → candidates from several generators → teacher ratings → binarized preference pairs. The
/// property names are the keys of <c>zephyr aif --config aif.json</c>.
/// </summary>
/// <example>
/// <code>
/// {
///   "PromptsFile": "prompts.jsonl",
///   "Generators": [
///     { "Name": "sft-hot", "ModelPath": "models/sft", "Temperature": 1.0, "MaxNewTokens": 256 },
///     { "Name": "remote", "Endpoint": "http://127.0.0.1:8000/v1", "Model": "some-model", "Temperature": 0.7 }
///   ],
///   "Teacher": { "Endpoint": "http://127.0.0.1:8001/v1", "Model": "teacher-model" },
///   "OutputDirectory": "aif-out",
///   "Seed": 42,
///   "MaxConcurrency": 4
/// }
/// </code>
/// </example>
public sealed class AifOptions
{
    /// <summary>The prompts: JSON Lines of <c>{"prompt": "...", "prompt_id": "..."}</c> (id optional), or Parquet with a <c>prompt</c> column. Required.</summary>
    public string PromptsFile { get; set; } = string.Empty;

    /// <summary>The generators; together they must give at least two candidates per prompt.</summary>
    public IList<GeneratorOptions> Generators { get; set; } = [];

    /// <summary>The teacher. A run driven by a programmatic <see cref="IPreferenceJudge"/> leaves it empty.</summary>
    public TeacherOptions Teacher { get; set; } = new();

    /// <summary>The output folder: <c>scored.jsonl</c>, <c>train_prefs.parquet</c>, <c>train_prefs.jsonl</c>, <c>aif-run.json</c>. Default <c>aif-out</c>.</summary>
    public string OutputDirectory { get; set; } = "aif-out";

    /// <summary>
    /// Lets a run replace an earlier AIF run in <see cref="OutputDirectory"/> (Hugging Face's <c>overwrite_output_dir</c>;
    /// the CLI accepts both names): its artefacts (<c>scored.jsonl</c>, <c>train_prefs.parquet</c>,
    /// <c>train_prefs.jsonl</c>, <c>aif-run.json</c>) are deleted before anything new is written, each logged at
    /// Warning; other files in the folder are left alone. Default false: a run with the same prompts and settings
    /// resumes the earlier one, any other run is refused. While true, every run starts over (nothing is resumed).
    /// </summary>
    public bool OverwriteOutputDirectory { get; set; }

    /// <summary>Seeds the generators' sampling and the random <c>rejected</c> pick. Default 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>How many prompts are in flight at once (generation and judging). Default 4.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Per-request timeout for remote generators and teachers, in seconds. Default 120.</summary>
    public double RequestTimeoutSeconds { get; set; } = 120;

    /// <summary>Retries of a request after a transient HTTP error (429, 5xx, timeouts, connection failures), with jittered exponential backoff. Default 4.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>The first backoff delay in seconds; it doubles with each retry. Default 1.</summary>
    public double RetryBaseDelaySeconds { get; set; } = 1;

    /// <summary>How a candidate's aspect ratings become its score. Default <see cref="ScoreAggregation.Mean"/>.</summary>
    public ScoreAggregation ScoreAggregation { get; set; } = ScoreAggregation.Mean;

    /// <summary>The pairing rule. Default <see cref="BinarizationStrategy.RandomRejected"/> (the paper's).</summary>
    public BinarizationStrategy Strategy { get; set; } = BinarizationStrategy.RandomRejected;

    /// <summary>For <see cref="BinarizationStrategy.AllPairsAboveMargin"/> only: the score difference a pair must exceed. Default null (0).</summary>
    public double? Margin { get; set; }

    /// <summary>Process only the first this many prompts. Default null: all.</summary>
    public int? MaxPrompts { get; set; }

    /// <summary>The binarization options these settings describe.</summary>
    public BinarizationOptions ToBinarizationOptions() => new() { Strategy = Strategy, Seed = Seed, Margin = Margin };
}
