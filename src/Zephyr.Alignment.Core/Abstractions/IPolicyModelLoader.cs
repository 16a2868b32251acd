using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment;

/// <summary>
/// Loads a policy model from a checkpoint. Trainers depend on this, not on a model family, so SFT and DPO
/// train any <see cref="IPolicyModel"/>; <c>Zephyr.Alignment.Models</c> registers the Hugging Face
/// Llama/Mistral loader (<c>AddHuggingFaceModels()</c>).
/// </summary>
public interface IPolicyModelLoader
{
    /// <summary>Loads the checkpoint at <paramref name="path"/> onto the device and dtype of <paramref name="device"/>.</summary>
    /// <param name="path">A checkpoint folder.</param>
    /// <param name="device">Device and dtype; the device is resolved (and CUDA checked) here.</param>
    /// <returns>The model, in evaluation mode; the caller owns and disposes it.</returns>
    IPolicyModel Load(string path, TorchDeviceOptions device);
}
