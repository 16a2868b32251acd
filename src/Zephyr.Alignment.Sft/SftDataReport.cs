namespace Zephyr.Alignment.Sft;

/// <summary>The data an <see cref="SftTrainer"/> prepared: the chat template in use and the report of each file.</summary>
/// <param name="ChatTemplate">The chat template's name, and how it was chosen.</param>
/// <param name="Train">The training file.</param>
/// <param name="Eval">The evaluation file, if any.</param>
public sealed record SftDataReport(string ChatTemplate, SftSplitReport Train, SftSplitReport? Eval);
