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
}
