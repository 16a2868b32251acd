using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Reference;

/// <summary>A reference whose weights <see cref="ReferenceLogProbCache.Fingerprint"/> can hash.</summary>
internal interface IFingerprintableReference
{
    /// <summary>The device the reference runs on.</summary>
    Device Device { get; }

    /// <summary>The weights that decide its log-probs, with their checkpoint names, in model order.</summary>
    IEnumerable<(string Name, Parameter Parameter)> FrozenParameters();

    /// <summary>
    /// The model's <see cref="IArchitectureDescription"/> (its configuration), or <see langword="null"/> when the model
    /// does not offer one.
    /// </summary>
    string? ArchitectureDescription { get; }
}
