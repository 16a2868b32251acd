namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>A training stage's result: its checkpoint folder and its final evaluation metrics (<c>eval_</c> keys).</summary>
/// <param name="Output">The Hugging Face checkpoint folder the stage wrote.</param>
/// <param name="Evaluation">The stage's held-out evaluation metrics.</param>
internal sealed record StageResult(string Output, Dictionary<string, double> Evaluation);
