namespace Zephyr.Alignment.Training;

/// <summary>
/// State that a training objective (or a loss inside it) changes as it trains and that a resumed run needs back, such
/// as the running mean of the legacy <c>bco_pair</c> loss. The loop saves it in <c>trainer_state.json</c>
/// (<c>objective_state</c>) with every checkpoint and restores it on resume, so the resumed run continues exactly.
/// </summary>
public interface ICheckpointState
{
    /// <summary>The state as named numbers (stored as JSON; doubles round-trip exactly).</summary>
    /// <returns>A snapshot; an empty one for nothing to keep.</returns>
    IReadOnlyDictionary<string, double> SaveState();

    /// <summary>Restores a snapshot taken by <see cref="SaveState"/>.</summary>
    /// <param name="state">The snapshot; empty when the checkpoint was written without one.</param>
    /// <exception cref="InvalidDataException">The snapshot lacks a value this object needs.</exception>
    void LoadState(IReadOnlyDictionary<string, double> state);
}
