namespace Zephyr.Alignment;

/// <summary>
/// An optional capability of an <see cref="IPolicyModel"/>, reached through <see cref="IPolicyModel.GetService"/>: a
/// canonical text of everything besides the weights that decides the model's outputs (for a Hugging Face checkpoint, its
/// <c>config.json</c>). Files keyed by a model, such as the DPO trainer's cache of reference log-probs, hash it together
/// with the weights, so that the same weights under another configuration (another <c>rope_scaling</c>, say) never
/// reuse a file.
/// </summary>
public interface IArchitectureDescription
{
    /// <summary>The description; equal texts mean the same architecture and settings.</summary>
    string ArchitectureDescription { get; }
}
