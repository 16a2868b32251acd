namespace Zephyr.Alignment;

/// <summary>
/// An optional capability of an <see cref="IPolicyModel"/>, reached through <see cref="IPolicyModel.GetService"/>:
/// the folder its <see cref="IPolicyModel.Save"/> writes holds every parameter bit-exactly and can be read back into
/// the same model. Training checkpoints then keep the weights once (the Hugging Face folder, which users can load)
/// instead of twice; a policy without it gets a separate parameter file in each checkpoint.
/// </summary>
public interface IReloadableWeights
{
    /// <summary>Copies the weights stored in <paramref name="directory"/> (written by this model's Save) into its parameters.</summary>
    /// <param name="directory">A folder written by <see cref="IPolicyModel.Save"/> of a model of the same shape.</param>
    /// <exception cref="IOException">A tensor is missing, unexpected or of the wrong shape; the message names the file and tensor.</exception>
    void ReloadWeights(string directory);
}
