namespace Zephyr.Alignment.Tests.Models;

/// <summary>Tests that count live tensors or watch process memory; they run alone so other tests cannot disturb the counts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemorySensitiveCollection
{
    public const string Name = "Memory-sensitive model tests";
}
