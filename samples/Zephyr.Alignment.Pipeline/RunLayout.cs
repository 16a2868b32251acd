namespace Zephyr.Alignment.Pipeline;

/// <summary>Where each artefact of a mini-Zephyr run goes, all inside one output folder.</summary>
internal sealed class RunLayout(string root)
{
    /// <summary>The output folder.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The trained tokenizer (also copied into every checkpoint).</summary>
    public string Tokenizer => Path.Combine(Root, "tokenizer");

    /// <summary>Generated data: pretraining text, dSFT demonstrations, evaluation prompts.</summary>
    public string Data => Path.Combine(Root, "data");

    /// <summary>The AIF output: <c>train_prefs</c>/<c>test_prefs</c> (Parquet and JSONL) and <c>scored.jsonl</c>.</summary>
    public string Aif => Path.Combine(Root, "aif");

    /// <summary>Per-variant generations on the held-out prompts, with the teacher's verdicts.</summary>
    public string Evaluation => Path.Combine(Root, "eval");

    /// <summary>TensorBoard event files, one run folder per stage.</summary>
    public string Runs => Path.Combine(Root, "runs");

    /// <summary>The PNG plots.</summary>
    public string Plots => Path.Combine(Root, "plots");

    /// <summary>The machine-readable ablation table.</summary>
    public string AblationJson => Path.Combine(Root, "ablation.json");

    /// <summary>The human-readable report.</summary>
    public string Report => Path.Combine(Root, "report.md");

    /// <summary>A stage's folder: its HF checkpoint, <c>metrics.jsonl</c> and loop checkpoints.</summary>
    public string Stage(string name) => Path.Combine(Root, name);

    /// <summary>The marker written when a stage has finished; <c>--resume</c> skips stages that have one.</summary>
    public string DoneMarker(string name) => Path.Combine(Root, name, ".stage-done");
}
