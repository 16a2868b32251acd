using Zephyr.Alignment.Aif.Binarization;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>What a finished run produced.</summary>
public sealed record AifSummary
{
    /// <summary>Prompts in the run.</summary>
    public required int Prompts { get; init; }

    /// <summary>Prompts found already finished when the run started (resume).</summary>
    public required int Resumed { get; init; }

    /// <summary>Preference pairs written.</summary>
    public required int Pairs { get; init; }

    /// <summary>Prompts that gave no pair, by reason.</summary>
    public required IReadOnlyDictionary<BinarizationDropReason, int> Dropped { get; init; }

    /// <summary>All dropped prompts.</summary>
    public int DroppedTotal => Dropped.Values.Sum();

    /// <summary>(Candidate, aspect) ratings the teacher failed to give, each kept in <c>scored.jsonl</c> with the raw answer.</summary>
    public required int FailedRatings { get; init; }

    /// <summary>Completions a generator failed to write.</summary>
    public required int GenerationFailures { get; init; }

    /// <summary>The mean <c>score_chosen</c> of the pairs (NaN when there are none).</summary>
    public required double MeanChosenScore { get; init; }

    /// <summary>The mean <c>score_rejected</c> of the pairs (NaN when there are none).</summary>
    public required double MeanRejectedScore { get; init; }

    /// <summary>The raw scored candidates.</summary>
    public required string ScoredFile { get; init; }

    /// <summary>The pairs as Parquet.</summary>
    public required string ParquetFile { get; init; }

    /// <summary>The pairs as JSON Lines.</summary>
    public required string JsonLinesFile { get; init; }
}
