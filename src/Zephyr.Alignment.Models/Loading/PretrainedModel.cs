using TorchSharp;
using TorchSharp.Modules;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Loads and saves Hugging Face checkpoint folders (<c>config.json</c> + safetensors, single-file or sharded) as
/// <see cref="CausalLanguageModel"/>s.
/// </summary>
public static class PretrainedModel
{
    /// <summary>The single-file weights name Hugging Face uses.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>The configuration file name.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>Files copied from the source folder on save, when present: tokenizer and generation settings.</summary>
    public static IReadOnlyList<string> CompanionFiles { get; } =
    [
        "tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "chat_template.jinja", "generation_config.json",
    ];

    /// <summary>
    /// Loads a checkpoint folder as the Hub ships it. Each stored tensor is read from a memory-mapped file and converted
    /// to the target dtype and device on its own, so the weights never exist twice in full. The model is returned in
    /// evaluation mode, as <c>from_pretrained</c> does.
    /// </summary>
    /// <param name="directory">A folder with <c>config.json</c> and <c>model.safetensors</c> or <c>model.safetensors.index.json</c> + shards.</param>
    /// <param name="options">Device and dtype; default CPU float32.</param>
    /// <exception cref="CheckpointException">
    /// The folder or <c>config.json</c> is missing; the architecture is unsupported; a shard is absent or malformed; a tensor is
    /// missing, unexpected, duplicated across shards, or of the wrong shape or dtype. The message names the file and tensor;
    /// nothing stays allocated.
    /// </exception>
    public static CausalLanguageModel Load(string directory, ModelLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        TorchRuntime.EnsureInitialized();
        ModelPlacement placement = (options ?? new ModelLoadOptions()).ToPlacement();
        string folder = Path.GetFullPath(directory);
        if (!Directory.Exists(folder))
        {
            throw new CheckpointException($"The model folder '{folder}' does not exist.", folder);
        }

        string configPath = Path.Combine(folder, ConfigFileName);
        if (!File.Exists(configPath))
        {
            throw new CheckpointException($"The model folder '{folder}' has no {ConfigFileName}.", configPath);
        }

        TransformerConfig config = TransformerConfig.Load(configPath);
        var (weightFiles, index, indexPath) = FindWeightFiles(folder);
        var model = new CausalLanguageModel(config, placement);
        try
        {
            LoadWeights(model, weightFiles, index, indexPath);
            model.SourceDirectory = folder;
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies the weights of a checkpoint folder into an existing <paramref name="model"/> of the same configuration, with the
    /// checks of <see cref="Load"/> (every tensor present once, names and shapes matching); same-dtype weights are copied bit-exactly.
    /// </summary>
    /// <param name="model">The model to overwrite.</param>
    /// <param name="directory">A folder written by <see cref="Save"/> (or any checkpoint of the same shape).</param>
    /// <exception cref="CheckpointException">The folder does not hold exactly this model's tensors; the message names the file and tensor.</exception>
    internal static void ReloadWeights(CausalLanguageModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var (weightFiles, index, indexPath) = FindWeightFiles(Path.GetFullPath(directory));
        using var noGrad = no_grad();
        LoadWeights(model, weightFiles, index, indexPath);
    }

    /// <summary>
    /// Writes <paramref name="model"/> as a Hugging Face checkpoint folder: <c>config.json</c> (dtype updated, other keys kept),
    /// the weights in the model dtype (sharded above <see cref="ModelSaveOptions.MaxShardSizeBytes"/>, with an index), and the
    /// tokenizer and generation files of the folder it was loaded from. Everything is written to a temporary sibling folder
    /// that replaces <paramref name="directory"/> only when complete. A tied model has no <c>lm_head.weight</c>, as in transformers.
    /// </summary>
    /// <param name="model">The model to save.</param>
    /// <param name="directory">The destination; an existing folder is replaced.</param>
    /// <param name="options">Shard size; default 5 GB per shard.</param>
    /// <exception cref="InvalidOperationException">
    /// LoRA adapters are attached to <paramref name="model"/>: its weights alone are not the model that runs. Save the
    /// adapters with <see cref="LoraModel.Save"/> or the merged weights with <see cref="LoraModel.SaveMerged"/>.
    /// </exception>
    public static void Save(CausalLanguageModel model, string directory, ModelSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.NamedProjections().FirstOrDefault(p => p.Projection.Lora is not null) is { Name: not null } adapted)
        {
            throw new InvalidOperationException(
                $"The model carries LoRA adapters ('{adapted.Name}' and others), so its base weights alone are not the model that runs: " +
                "save the adapter folder with LoraModel.Save or the merged weights with LoraModel.SaveMerged.");
        }

        SaveWithSubstitutes(model, directory, options, substitute: null);
    }

    /// <summary><see cref="Save"/>, writing <paramref name="substitute"/>(name, parameter) for each weight when given.</summary>
    /// <param name="model">The model to save.</param>
    /// <param name="directory">The destination; an existing folder is replaced.</param>
    /// <param name="options">Shard size; default 5 GB per shard.</param>
    /// <param name="substitute">Computes the tensor to store for a parameter (same shape and dtype), one at a time; null stores the parameters.</param>
    internal static void SaveWithSubstitutes(CausalLanguageModel model, string directory, ModelSaveOptions? options, Func<string, Tensor, Tensor>? substitute)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new ModelSaveOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxShardSizeBytes, $"{nameof(options)}.{nameof(options.MaxShardSizeBytes)}");
        WriteFolder(directory, staging =>
        {
            File.WriteAllText(Path.Combine(staging, ConfigFileName), model.Config.ToJson(model.DType));
            WriteWeights(model, staging, options.MaxShardSizeBytes, substitute);
            CopyCompanionFiles(model.SourceDirectory, staging);
        });
    }

    /// <summary>
    /// Fills a temporary sibling of <paramref name="directory"/> with <paramref name="write"/>, then moves it into place,
    /// replacing an existing folder only once the new one is complete.
    /// </summary>
    internal static void WriteFolder(string directory, Action<string> write)
    {
        string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        if (File.Exists(target))
        {
            throw new CheckpointException($"Cannot save to '{target}': a file has that name.", target);
        }

        string parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{target}' has no parent folder.", nameof(directory));
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.saving");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            ReplaceDirectory(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }
    }

    private static (List<string> Files, ShardIndex? Index, string? IndexPath) FindWeightFiles(string folder)
    {
        string single = Path.Combine(folder, WeightsFileName);
        if (File.Exists(single))
        {
            return ([single], null, null);
        }

        string indexPath = Path.Combine(folder, ShardIndex.FileName);
        if (!File.Exists(indexPath))
        {
            string hint = File.Exists(Path.Combine(folder, "pytorch_model.bin")) || File.Exists(Path.Combine(folder, "pytorch_model.bin.index.json"))
                ? " It has PyTorch .bin weights, which are not supported: convert them to safetensors."
                : "";
            throw new CheckpointException($"The model folder '{folder}' has neither {WeightsFileName} nor {ShardIndex.FileName}.{hint}", folder);
        }

        ShardIndex index = ShardIndex.Load(indexPath);
        var files = new List<string>();
        foreach (string shard in index.ShardFiles)
        {
            string path = Path.Combine(folder, shard);
            if (!File.Exists(path))
            {
                string firstTensor = index.WeightMap.First(p => p.Value == shard).Key;
                throw new CheckpointException(
                    $"The shard '{path}' named in '{indexPath}' (for tensor '{firstTensor}' and others) does not exist.", path, firstTensor);
            }

            files.Add(path);
        }

        return (files, index, indexPath);
    }

    private static void LoadWeights(CausalLanguageModel model, List<string> files, ShardIndex? index, string? indexPath)
    {
        Dictionary<string, Parameter> expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var loadedFrom = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            using SafeTensorsReader reader = SafeTensorsReader.Open(file);
            foreach (SafeTensorInfo tensor in reader.Tensors)
            {
                if (IsIgnored(tensor.Name, model.Config))
                {
                    continue;
                }

                if (loadedFrom.TryGetValue(tensor.Name, out string? earlierFile))
                {
                    throw new CheckpointException(
                        $"Tensor '{tensor.Name}' appears in both '{earlierFile}' and '{file}'.", file, tensor.Name);
                }

                if (!expected.TryGetValue(tensor.Name, out Parameter? parameter))
                {
                    throw new CheckpointException(
                        $"Tensor '{tensor.Name}' in '{file}' is not a parameter of a {model.Config.ModelType} model with this config.json " +
                        "(wrong architecture, layer count or tie_word_embeddings?).", file, tensor.Name);
                }

                reader.ReadInto(tensor.Name, parameter);
                loadedFrom[tensor.Name] = file;
            }
        }

        string? missing = expected.Keys.FirstOrDefault(name => !loadedFrom.ContainsKey(name));
        if (missing is not null)
        {
            int missingCount = expected.Keys.Count(name => !loadedFrom.ContainsKey(name));
            if (index is not null && index.WeightMap.TryGetValue(missing, out string? shard))
            {
                string shardPath = Path.Combine(Path.GetDirectoryName(indexPath!)!, shard);
                throw new CheckpointException(
                    $"Tensor '{missing}' is mapped to '{shardPath}' by '{indexPath}' but that shard does not contain it ({missingCount} tensor(s) missing in all).",
                    shardPath, missing);
            }

            throw new CheckpointException(
                $"Tensor '{missing}' is missing from {string.Join(", ", files.Select(f => $"'{f}'"))} ({missingCount} tensor(s) missing in all).",
                files[0], missing);
        }
    }

    /// <summary>Stored tensors transformers itself skips: old checkpoints' RoPE buffers, and the head of a tied model.</summary>
    private static bool IsIgnored(string name, TransformerConfig config)
        => name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
            || (config.ResolvedTieWordEmbeddings && name == "lm_head.weight");

    private static void WriteWeights(CausalLanguageModel model, string folder, long maxShardSizeBytes, Func<string, Tensor, Tensor>? substitute)
    {
        var parameters = model.named_parameters().Select(p => (Name: p.name, Tensor: (Tensor)p.parameter)).ToList();
        var shards = new List<List<(string Name, Tensor Tensor)>> { new() };
        long shardBytes = 0;
        long totalBytes = 0;
        foreach (var parameter in parameters)
        {
            long bytes = parameter.Tensor.NumberOfElements * parameter.Tensor.ElementSize;
            if (shards[^1].Count > 0 && shardBytes + bytes > maxShardSizeBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }

            shards[^1].Add(parameter);
            shardBytes += bytes;
            totalBytes += bytes;
        }

        if (shards.Count == 1)
        {
            SafeTensorsWriter.Write(Path.Combine(folder, WeightsFileName), shards[0], metadata: null, substitute);
            return;
        }

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string fileName = ShardIndex.ShardFileName(i + 1, shards.Count);
            SafeTensorsWriter.Write(Path.Combine(folder, fileName), shards[i], metadata: null, substitute);
            foreach (var (name, _) in shards[i])
            {
                weightMap[name] = fileName;
            }
        }

        new ShardIndex(weightMap, totalBytes).Save(Path.Combine(folder, ShardIndex.FileName));
    }

    internal static void CopyCompanionFiles(string? sourceFolder, string destination)
    {
        if (sourceFolder is null || !Directory.Exists(sourceFolder))
        {
            return;
        }

        foreach (string name in CompanionFiles)
        {
            string source = Path.Combine(sourceFolder, name);
            if (File.Exists(source))
            {
                File.Copy(source, Path.Combine(destination, name));
            }
        }
    }

    /// <summary>Moves <paramref name="staging"/> to <paramref name="target"/>, keeping the old folder until the move succeeded.</summary>
    private static void ReplaceDirectory(string staging, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }

        string backup = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.old");
        Directory.Move(target, backup);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Move(backup, target);
            throw;
        }

        Directory.Delete(backup, recursive: true);
    }
}
