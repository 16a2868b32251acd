namespace Zephyr.Alignment.Aif.Running;

/// <summary>A completion a generator failed to write, kept in <c>scored.jsonl</c>.</summary>
/// <param name="Generator">The generator's name.</param>
/// <param name="Sample">The sample number.</param>
/// <param name="Error">What went wrong.</param>
public sealed record GenerationFailure(string Generator, int Sample, string Error);
