using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Training;

/// <summary>
/// Writes, finds, rotates and reads <c>checkpoint-{step}/</c> folders, laid out as Hugging Face's <c>Trainer</c> does:
/// the policy in Hugging Face format (for users), plus this library's resume state.
/// </summary>
/// <remarks>
/// <para>A checkpoint folder holds:</para>
/// <list type="bullet">
/// <item><c>config.json</c>, <c>*.safetensors</c>, tokenizer files: the policy, written by <see cref="IPolicyModel.Save"/>.</item>
/// <item><c>trainable_parameters.bin</c>: the trainable parameters, bit-exact, in TorchSharp's tensor format with names — only for
/// policies that cannot reload their own saved folder (<see cref="IReloadableWeights"/>); others keep the weights once, in the policy folder.</item>
/// <item><c>optimizer.bin</c>: TorchSharp's AdamW state (per parameter: step count, first and second moments; per group: hyperparameters).</item>
/// <item><c>trainer_state.json</c>: step, epoch, data position, schedule, seed, running counts, last metrics.</item>
/// <item><c>training_options.json</c>: the options of the run that wrote it.</item>
/// </list>
/// <para>
/// Each checkpoint is built in a <c>tmp-checkpoint-{step}-…</c> folder and renamed when complete, so a folder named
/// <c>checkpoint-{step}</c> is always whole; <c>trainer_state.json</c> is written last and marks completeness.
/// </para>
/// </remarks>
public static class CheckpointManager
{
    /// <summary>Prefix of checkpoint folder names: <c>checkpoint-</c>.</summary>
    public const string Prefix = "checkpoint-";

    /// <summary>Prefix of checkpoint folders still being written (or left by a crash): <c>tmp-checkpoint-</c>.</summary>
    public const string TemporaryPrefix = "tmp-checkpoint-";

    /// <summary>The file that marks a complete checkpoint: <c>trainer_state.json</c>.</summary>
    public const string StateFileName = "trainer_state.json";

    internal const string ParametersFileName = "trainable_parameters.bin";
    internal const string OptimizerFileName = "optimizer.bin";
    internal const string OptionsFileName = "training_options.json";
    private const string ParametersMagic = "zephyr-trainable-parameters";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// The complete checkpoints in <paramref name="outputDirectory"/>, oldest first: folders named
    /// <c>checkpoint-{step}</c> that contain <c>trainer_state.json</c>.
    /// </summary>
    /// <param name="outputDirectory">A training output folder; a missing one has no checkpoints.</param>
    public static IReadOnlyList<(long Step, string Path)> List(string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(outputDirectory);
        if (!Directory.Exists(outputDirectory))
        {
            return [];
        }

        var found = new List<(long Step, string Path)>();
        foreach (string directory in Directory.EnumerateDirectories(outputDirectory, Prefix + "*"))
        {
            string suffix = System.IO.Path.GetFileName(directory)[Prefix.Length..];
            if (long.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out long step)
                && File.Exists(System.IO.Path.Combine(directory, StateFileName)))
            {
                found.Add((step, directory));
            }
        }

        found.Sort((a, b) => a.Step.CompareTo(b.Step));
        return found;
    }

    /// <summary>The newest complete checkpoint in <paramref name="outputDirectory"/>, or null when there is none.</summary>
    /// <param name="outputDirectory">A training output folder.</param>
    public static string? FindLatest(string outputDirectory)
    {
        IReadOnlyList<(long Step, string Path)> all = List(outputDirectory);
        return all.Count == 0 ? null : all[^1].Path;
    }

    /// <summary>Deletes temporary folders a crashed run left behind; returns their paths.</summary>
    internal static IReadOnlyList<string> RemoveTemporaries(string outputDirectory)
    {
        if (!Directory.Exists(outputDirectory))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (string directory in Directory.EnumerateDirectories(outputDirectory, TemporaryPrefix + "*"))
        {
            Directory.Delete(directory, recursive: true);
            removed.Add(directory);
        }

        return removed;
    }

    /// <summary>Writes <c>checkpoint-{step}</c> atomically and returns its path; an existing folder of that step is replaced.</summary>
    internal static string Save(
        string outputDirectory,
        IPolicyModel policy,
        IReadOnlyList<(string Name, Parameter Parameter)> parameters,
        AdamW optimizer,
        TrainerState state,
        TrainingOptions options)
    {
        string final = System.IO.Path.Combine(outputDirectory, Prefix + state.GlobalStep.ToString(CultureInfo.InvariantCulture));
        string temporary = System.IO.Path.Combine(
            outputDirectory, TemporaryPrefix + state.GlobalStep.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // The policy first: Save replaces its destination folder, so it must not come after our own files.
            policy.Save(temporary);

            // A policy that can read its own saved folder back needs no second copy of the weights (14 GB for 7B in bf16).
            if (policy.GetService(typeof(IReloadableWeights)) is not IReloadableWeights)
            {
                WriteFile(System.IO.Path.Combine(temporary, ParametersFileName), writer => WriteParameters(writer, parameters));
            }

            WriteFile(System.IO.Path.Combine(temporary, OptimizerFileName), optimizer.save_state_dict);
            WriteFile(System.IO.Path.Combine(temporary, OptionsFileName), writer => writer.Write(JsonSerializer.SerializeToUtf8Bytes(options, options.GetType(), Json)));
            WriteFile(System.IO.Path.Combine(temporary, StateFileName), writer => writer.Write(JsonSerializer.SerializeToUtf8Bytes(state, Json)));
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }

            Directory.Move(temporary, final);
        }
        catch
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }

            throw;
        }

        return final;
    }

    /// <summary>
    /// Deletes the oldest checkpoints beyond <paramref name="keep"/> (0 keeps all); returns their paths. The checkpoint
    /// just written is never deleted, even when higher-numbered checkpoints exist (left by the abandoned continuation
    /// of a run resumed from an earlier checkpoint); those go first, since <c>latest</c> would wrongly resume them.
    /// </summary>
    internal static IReadOnlyList<string> Rotate(string outputDirectory, int keep, string justWritten)
    {
        string current = System.IO.Path.GetFullPath(justWritten);
        IReadOnlyList<(long Step, string Path)> all = List(outputDirectory);
        long currentStep = all.FirstOrDefault(c => System.IO.Path.GetFullPath(c.Path) == current).Step;
        List<string> others =
        [
            .. all.Where(c => System.IO.Path.GetFullPath(c.Path) != current)
                .OrderBy(c => c.Step > currentStep ? 0 : 1)
                .ThenBy(c => c.Step)
                .Select(c => c.Path),
        ];
        int excess = others.Count + 1 - keep;
        if (keep <= 0 || excess <= 0)
        {
            return [];
        }

        var removed = new List<string>();
        foreach (string path in others.Take(excess))
        {
            Directory.Delete(path, recursive: true);
            removed.Add(path);
        }

        return removed;
    }

    internal static TrainerState ReadState(string checkpoint)
    {
        string path = System.IO.Path.Combine(checkpoint, StateFileName);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"'{checkpoint}' is not a complete checkpoint: it has no {StateFileName}.");
        }

        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllBytes(path), Json)
                ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid trainer state: {e.Message}", e);
        }
    }

    /// <summary>
    /// Restores the trainable parameters: from <c>trainable_parameters.bin</c> when the checkpoint has one, checking
    /// names, dtypes and shapes first, otherwise from the policy's own saved folder (<see cref="IReloadableWeights"/>).
    /// </summary>
    internal static void LoadParameters(string checkpoint, IPolicyModel policy, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        string path = System.IO.Path.Combine(checkpoint, ParametersFileName);
        if (!File.Exists(path))
        {
            if (policy.GetService(typeof(IReloadableWeights)) is not IReloadableWeights reloadable)
            {
                throw new InvalidDataException(
                    $"'{checkpoint}' has no {ParametersFileName} and this policy cannot reload the weights of its saved folder (IReloadableWeights).");
            }

            reloadable.ReloadWeights(checkpoint);
            return;
        }

        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != ParametersMagic || reader.ReadInt32() != 1)
        {
            throw new InvalidDataException($"{path} is not a trainable-parameters file of this library.");
        }

        int count = reader.ReadInt32();
        if (count != parameters.Count)
        {
            throw new InvalidDataException($"{path} holds {count} parameters but the policy has {parameters.Count} trainable ones.");
        }

        var byName = parameters.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        using var noGrad = no_grad();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            if (!byName.TryGetValue(name, out Parameter? target))
            {
                throw new InvalidDataException($"{path} holds parameter '{name}', which the policy does not have as a trainable parameter.");
            }

            using Tensor saved = TorchSharp.TensorExtensionMethods.Load(reader);
            if (saved.dtype != target.dtype || !saved.shape.SequenceEqual(target.shape))
            {
                throw new InvalidDataException(
                    $"{path}: parameter '{name}' was saved as {saved.dtype} [{string.Join(", ", saved.shape)}] " +
                    $"but the policy's is {target.dtype} [{string.Join(", ", target.shape)}].");
            }

            target.copy_(saved);
        }
    }

    internal static void LoadOptimizer(string checkpoint, AdamW optimizer)
    {
        string path = System.IO.Path.Combine(checkpoint, OptimizerFileName);
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        optimizer.load_state_dict(reader);
    }

    private static void WriteParameters(BinaryWriter writer, IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        writer.Write(ParametersMagic);
        writer.Write(1);
        writer.Write(parameters.Count);
        foreach (var (name, parameter) in parameters)
        {
            writer.Write(name);
            TorchSharp.TensorExtensionMethods.Save(parameter, writer);
        }
    }

    private static void WriteFile(string path, Action<BinaryWriter> write)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            write(writer);
        }

        // On disk before the rename publishes the folder, so a crash cannot leave a named but half-written checkpoint.
        stream.Flush(flushToDisk: true);
    }
}
