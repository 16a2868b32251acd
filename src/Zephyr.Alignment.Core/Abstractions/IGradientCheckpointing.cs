namespace Zephyr.Alignment;

/// <summary>
/// An optional capability of an <see cref="IPolicyModel"/>, reached through <see cref="IPolicyModel.GetService"/>:
/// recomputing activations in the backward pass instead of storing them (transformers'
/// <c>gradient_checkpointing_enable</c>). The training loop switches it on for
/// <see cref="Training.TrainingOptions.GradientCheckpointing"/> and back off when training ends.
/// </summary>
public interface IGradientCheckpointing
{
    /// <summary>
    /// Whether training-mode forward passes with gradients enabled keep only each layer's input and recompute the
    /// layer in the backward pass. Gradients must be identical either way; evaluation and generation are unaffected.
    /// </summary>
    bool GradientCheckpointing { get; set; }
}
