namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>The pairs one prompt gave, or why it gave none.</summary>
public sealed record BinarizationResult
{
    private BinarizationResult(IReadOnlyList<BinarizedPreference> pairs, BinarizationDropReason? dropReason)
    {
        Pairs = pairs;
        DropReason = dropReason;
    }

    /// <summary>The pairs (empty when dropped).</summary>
    public IReadOnlyList<BinarizedPreference> Pairs { get; }

    /// <summary>Why the prompt was dropped; <see langword="null"/> when it gave pairs.</summary>
    public BinarizationDropReason? DropReason { get; }

    /// <summary>Whether the prompt was dropped.</summary>
    public bool IsDropped => DropReason is not null;

    internal static BinarizationResult Of(IReadOnlyList<BinarizedPreference> pairs) => new(pairs, null);

    internal static BinarizationResult Dropped(BinarizationDropReason reason) => new([], reason);
}
