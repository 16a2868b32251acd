using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>A candidate with its judgement and the score binarization compares.</summary>
/// <param name="Candidate">The completion and its generator.</param>
/// <param name="Judgement">The judge's ratings and failures.</param>
/// <param name="Score">The aggregated score (<see cref="CandidateScores.Compute"/>); <see langword="null"/> when the candidate is not scored.</param>
public sealed record ScoredCandidate(Candidate Candidate, CandidateJudgement Judgement, double? Score);
