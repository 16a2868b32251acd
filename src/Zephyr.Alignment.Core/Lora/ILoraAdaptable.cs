namespace Zephyr.Alignment.Lora;

/// <summary>
/// An optional capability of an <see cref="IPolicyModel"/>, reached through <see cref="IPolicyModel.GetService"/>: LoRA
/// adapters can be injected into it (PEFT's <c>get_peft_model</c>) or loaded onto it from a PEFT adapter folder
/// (<c>PeftModel.from_pretrained</c>). Trainers use it when <c>UsePeft</c> is set, so they need no model internals.
/// </summary>
public interface ILoraAdaptable
{
    /// <summary>Injects fresh adapters (A Kaiming-uniform, B zero, so the output is unchanged) and freezes the base weights.</summary>
    /// <param name="config">The adapter settings; validated.</param>
    /// <param name="seed">Seed of the A matrices: the same seed gives the same adapters.</param>
    /// <param name="ownsModel">Whether disposing the returned model also disposes this one.</param>
    /// <returns>The adapted model; disposing it removes the adapters again.</returns>
    ILoraModel AddLoraAdapters(LoraConfig config, long seed, bool ownsModel);

    /// <summary>Loads a PEFT adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>) onto this model.</summary>
    /// <param name="adapterDirectory">The adapter folder.</param>
    /// <param name="isTrainable">True to continue training the adapters; false freezes them (PEFT's default, for inference).</param>
    /// <param name="ownsModel">Whether disposing the returned model also disposes this one.</param>
    /// <returns>The adapted model; disposing it removes the adapters again.</returns>
    ILoraModel LoadLoraAdapters(string adapterDirectory, bool isTrainable, bool ownsModel);
}
