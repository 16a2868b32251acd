namespace Zephyr.Alignment.Aif.Judging;

/// <summary>One completion of a prompt, as the judge sees it.</summary>
/// <param name="Generator">The name of the generator that wrote it (a configured generator's <c>Name</c>).</param>
/// <param name="Completion">The completion text.</param>
/// <param name="Sample">Which sample of that generator this is (0 for the first), when one generator is sampled several times.</param>
public sealed record Candidate(string Generator, string Completion, int Sample = 0);
