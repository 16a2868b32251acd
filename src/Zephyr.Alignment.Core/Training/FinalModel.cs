namespace Zephyr.Alignment.Training;

/// <summary>Writes the trained model into the output folder itself, beside <c>metrics.jsonl</c> and the checkpoints, as Hugging Face's <c>save_model</c> does.</summary>
public static class FinalModel
{
    /// <summary>
    /// Saves <paramref name="policy"/> to a hidden folder inside <paramref name="outputDirectory"/>, then moves its files
    /// up. <see cref="IPolicyModel.Save"/> replaces whole folders, which would delete the checkpoints and metrics.
    /// </summary>
    /// <param name="policy">The trained model.</param>
    /// <param name="outputDirectory">The run's output folder (created when missing).</param>
    /// <returns>The full path of the output folder.</returns>
    public static string Save(IPolicyModel policy, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        string output = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(output);
        string staging = Path.Combine(output, $".final-model-{Guid.NewGuid():N}");
        try
        {
            policy.Save(staging);

            // Weights of an earlier run could be sharded differently; stale shards next to a new index would be loaded.
            foreach (string old in Directory.EnumerateFiles(output, "model*.safetensors*"))
            {
                File.Delete(old);
            }

            foreach (string file in Directory.EnumerateFiles(staging))
            {
                File.Move(file, Path.Combine(output, Path.GetFileName(file)), overwrite: true);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return output;
    }
}
