namespace Zephyr.Alignment.Tests.Training;

/// <summary>
/// Tests whose result depends on torch's process-wide random generator (dropout, exact resume). The training loop
/// reseeds that generator at every step, so these must not run beside other tests that train or seed it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalRandomStateCollection
{
    public const string Name = "Global torch random state";
}
