namespace Zephyr.Alignment;

/// <summary>
/// An optional capability of an <see cref="IPolicyModel"/>, reached through <see cref="IPolicyModel.GetService"/>:
/// switching dropout off while the model stays in training mode, as TRL's <c>disable_dropout_in_model</c> sets every
/// dropout probability to 0. The DPO trainer uses it for <c>DisableDropout</c> and restores the setting afterwards.
/// </summary>
public interface IConfigurableDropout
{
    /// <summary>
    /// Whether training-mode forward passes apply the model's configured dropout (true, the default). False makes a
    /// training-mode pass deterministic; evaluation mode never drops anything either way.
    /// </summary>
    bool DropoutEnabled { get; set; }
}
