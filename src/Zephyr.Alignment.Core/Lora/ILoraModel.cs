using TorchSharp.Modules;

namespace Zephyr.Alignment.Lora;

/// <summary>
/// A policy made of a frozen base model plus trainable LoRA adapters (PEFT's <c>PeftModel</c>). Its
/// <see cref="IPolicyModel.NamedTrainableParameters"/> are the adapters only, <see cref="IPolicyModel.Save"/> writes the
/// adapter folder in PEFT's layout (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>), and
/// <see cref="DisableAdapters"/> turns it back into the base model for a while: that is DPO's reference, with no second
/// copy of the weights.
/// </summary>
public interface ILoraModel : IPolicyModel
{
    /// <summary>The adapter's settings.</summary>
    LoraConfig LoraConfig { get; }

    /// <summary>False while a <see cref="DisableAdapters"/> scope is open: the forward pass is the base model's.</summary>
    bool AdaptersEnabled { get; }

    /// <summary>
    /// Turns the adapters off until the returned scope is disposed (PEFT's <c>disable_adapter()</c>): the forward pass is
    /// then exactly the base model's. Scopes nest.
    /// </summary>
    /// <returns>Restores the previous state when disposed.</returns>
    IDisposable DisableAdapters();

    /// <summary>The frozen base weights, with their checkpoint names (<c>model.layers.0.self_attn.q_proj.weight</c>, …).</summary>
    IEnumerable<(string Name, Parameter Parameter)> NamedBaseParameters();

    /// <summary>
    /// Writes the base model with every adapter merged into its weight (<c>W + scaling · B A</c>) as an ordinary Hugging
    /// Face checkpoint folder in the base dtype, without changing this model.
    /// </summary>
    /// <param name="directory">The destination; an existing folder is replaced once the new one is complete.</param>
    void SaveMerged(string directory);
}
