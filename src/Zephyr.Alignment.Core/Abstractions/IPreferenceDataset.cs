namespace Zephyr.Alignment;

/// <summary>A source of preference pairs, streamed in file order.</summary>
public interface IPreferenceDataset
{
    /// <summary>A description of where the data comes from (a path or a name).</summary>
    string Source { get; }

    /// <summary>Streams the examples without loading the whole source into memory.</summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <exception cref="FormatException">A row is malformed; the message names the file and the row or line.</exception>
    IAsyncEnumerable<PreferenceExample> ReadAsync(CancellationToken cancellationToken = default);
}
