using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using Zephyr.Alignment.Lora;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// A <see cref="CausalLanguageModel"/> with LoRA adapters on chosen linear layers (PEFT's <c>PeftModelForCausalLM</c>):
/// the base weights are frozen, the adapters train, and <see cref="Save"/> writes the adapter folder in PEFT's layout so
/// that <c>PeftModel.from_pretrained(base, folder)</c> loads it unchanged.
/// </summary>
/// <remarks>
/// <para>
/// Adapters are injected into the base model's own projections, as PEFT's <c>inject_adapter</c> does: the base model's
/// forward pass (and generation through it) includes them while they are enabled. <see cref="DisableAdapters"/> turns
/// them off, which gives the base model back exactly; that is DPO's reference, without a second copy of the weights.
/// </para>
/// <para>
/// With a bfloat16 or float16 base, the adapters are created in float32 (PEFT's <c>autocast_adapter_dtype</c>) and so are
/// their own fp32 master weights; the projection's input is cast to float32 for the adapter and the sum cast back.
/// </para>
/// <para>Disposing the model removes the adapters from the base model (and disposes the base when it owns it).</para>
/// </remarks>
public sealed class LoraModel : ILoraModel, IReloadableWeights
{
    /// <summary>PEFT's adapter configuration file name (<c>CONFIG_NAME</c>).</summary>
    public const string AdapterConfigFileName = "adapter_config.json";

    /// <summary>PEFT's adapter weights file name (<c>SAFETENSORS_WEIGHTS_NAME</c>).</summary>
    public const string AdapterWeightsFileName = "adapter_model.safetensors";

    /// <summary>
    /// The prefix of every saved adapter key: a <c>PeftModel</c>'s <c>base_model</c> (the LoRA tuner) wrapping
    /// <c>model</c> (the <c>…ForCausalLM</c>), before the module's own name.
    /// </summary>
    public const string KeyPrefix = "base_model.model.";

    private readonly CausalLanguageModel model;
    private readonly List<Adapter> adapters;
    private readonly Dictionary<string, bool> baseRequiredGrad;
    private bool ownsModel;
    private int disabledScopes;
    private bool released;

    private LoraModel(CausalLanguageModel model, LoraConfig config, bool trainable, bool ownsModel, Generator? generator)
    {
        config.Validate();
        if (model.NamedProjections().Any(p => p.Projection.Lora is not null))
        {
            throw new InvalidOperationException("The model already carries LoRA adapters; dispose that LoraModel (or merge it) before adding new ones.");
        }

        List<(string Name, Projection Projection)> targets = ResolveTargets(model, config);
        ScalarType adapterType = LoraLayer.AdapterDType(model.DType);
        adapters = [];
        try
        {
            foreach (var (name, projection) in targets)
            {
                Parameter weight = projection.Weight;
                var layer = new LoraLayer(weight.shape[1], weight.shape[0], config.R, config.Scaling, config.LoraDropout, weight.device, adapterType, trainable);
                adapters.Add(new Adapter(name, projection, layer));
                if (generator is not null)
                {
                    layer.Initialize(generator);
                }
            }
        }
        catch
        {
            adapters.ForEach(a => a.Layer.Dispose());
            throw;
        }

        this.model = model;
        this.ownsModel = ownsModel;
        string? source = model.SourceDirectory;
        LoraConfig = config.BaseModelNameOrPath is null && source is not null ? With(config, source) : config;
        TargetModuleNames = [.. targets.Select(t => t.Name)];

        // Only the adapters train (PEFT's _mark_only_adapters_as_trainable with bias "none"); the old flags come back on dispose.
        baseRequiredGrad = [];
        foreach (var (name, parameter) in model.named_parameters())
        {
            baseRequiredGrad[name] = parameter.requires_grad;
            parameter.requires_grad = false;
        }

        foreach (Adapter adapter in adapters)
        {
            adapter.Projection.Lora = adapter.Layer;
        }

        model.RequireEmbeddingGrad = trainable;
    }

    /// <summary>The base model, whose projections carry the adapters.</summary>
    public CausalLanguageModel BaseModel => Live.model;

    /// <inheritdoc />
    public LoraConfig LoraConfig { get; }

    /// <summary>The module names that carry an adapter (<c>model.layers.0.self_attn.q_proj</c>, …), in model order.</summary>
    public IReadOnlyList<string> TargetModuleNames { get; }

    /// <inheritdoc />
    public bool AdaptersEnabled => disabledScopes == 0;

    /// <inheritdoc />
    public int VocabularySize => Live.model.VocabularySize;

    /// <inheritdoc />
    public Device Device => Live.model.Device;

    /// <summary>The base model's dtype (the adapters are float32 when it is a 16-bit float).</summary>
    public ScalarType DType => Live.model.DType;

    /// <summary>The adapters' dtype.</summary>
    public ScalarType AdapterDType => Live.adapters.Count == 0 ? LoraLayer.AdapterDType(model.DType) : adapters[0].Layer.A.dtype;

    /// <inheritdoc />
    public bool IsTraining => Live.model.IsTraining;

    private LoraModel Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(released, this);
            return this;
        }
    }

    /// <summary>
    /// Injects fresh adapters into <paramref name="model"/> (PEFT's <c>get_peft_model</c>): A Kaiming-uniform with a = √5,
    /// B zero, so the model's output is unchanged until training moves B. The base weights are frozen.
    /// </summary>
    /// <param name="model">The base model.</param>
    /// <param name="config">Rank, alpha, dropout, targets, rsLoRA; validated.</param>
    /// <param name="seed">Seed of the A matrices, drawn on the CPU in float32: the same seed gives the same adapters.</param>
    /// <param name="ownsModel">Whether disposing the adapter model also disposes <paramref name="model"/>.</param>
    /// <returns>The adapted model.</returns>
    /// <exception cref="ArgumentException">The configuration is invalid, or a target name matches no linear layer (the message lists them).</exception>
    /// <exception cref="InvalidOperationException">The model already carries adapters.</exception>
    public static LoraModel Create(CausalLanguageModel model, LoraConfig config, long seed = 0, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        using var generator = new Generator((ulong)seed);
        return new LoraModel(model, config, trainable: true, ownsModel, generator);
    }

    /// <summary>
    /// Loads a PEFT adapter folder onto <paramref name="model"/> (PEFT's <c>PeftModel.from_pretrained</c>): reads
    /// <c>adapter_config.json</c>, injects adapters where it says and copies <c>adapter_model.safetensors</c> into them
    /// (16-bit adapters are widened to float32, as PEFT's <c>autocast_adapter_dtype</c> does).
    /// </summary>
    /// <param name="model">The base model the adapter was trained on.</param>
    /// <param name="adapterDirectory">The adapter folder.</param>
    /// <param name="isTrainable">True to continue training the adapters; false (PEFT's default) freezes them.</param>
    /// <param name="ownsModel">Whether disposing the adapter model also disposes <paramref name="model"/>.</param>
    /// <returns>The adapted model.</returns>
    /// <exception cref="CheckpointException">
    /// A file is missing or malformed, the configuration asks for an unsupported PEFT feature, or a tensor is missing,
    /// unexpected or of the wrong shape; the message names the file and tensor.
    /// </exception>
    public static LoraModel Load(CausalLanguageModel model, string adapterDirectory, bool isTrainable = false, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(adapterDirectory);
        string folder = Path.GetFullPath(adapterDirectory);
        if (!Directory.Exists(folder))
        {
            throw new CheckpointException($"The adapter folder '{folder}' does not exist.", folder);
        }

        LoraConfig config = PeftAdapterConfig.Read(Path.Combine(folder, AdapterConfigFileName));
        LoraModel lora;
        try
        {
            lora = new LoraModel(model, config, isTrainable, ownsModel: false, generator: null);
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"'{Path.Combine(folder, AdapterConfigFileName)}' does not fit this model: {e.Message}", folder, innerException: e);
        }

        try
        {
            lora.ReloadWeights(folder);
        }
        catch
        {
            lora.Dispose();
            throw;
        }

        // Ownership only once loading succeeded, so a failed load never disposes the caller's model.
        lora.ownsModel = ownsModel;
        return lora;
    }

    /// <summary>The adapter matrices with their PEFT keys (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>, …).</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedAdapterParameters()
    {
        foreach (Adapter adapter in Live.adapters)
        {
            yield return (KeyPrefix + adapter.Name + ".lora_A.weight", adapter.Layer.A);
            yield return (KeyPrefix + adapter.Name + ".lora_B.weight", adapter.Layer.B);
        }
    }

    /// <inheritdoc />
    public IEnumerable<(string Name, Parameter Parameter)> NamedTrainableParameters()
        => NamedAdapterParameters().Where(p => p.Parameter.requires_grad);

    /// <inheritdoc />
    public IEnumerable<(string Name, Parameter Parameter)> NamedBaseParameters()
        => Live.model.named_parameters().Select(p => (p.name, p.parameter));

    /// <inheritdoc />
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null)
        => Live.model.Forward(inputIds, attentionMask, positionIds);

    /// <inheritdoc />
    /// <remarks>Passed through, so the transformer skips the LM head on the positions it drops (the default would compute them all).</remarks>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, long logitsToKeep)
        => Live.model.Forward(inputIds, attentionMask, positionIds, logitsToKeep);

    /// <inheritdoc />
    /// <remarks>Passed through, so the transformer runs the LM head on the selected positions only (the default would compute them all).</remarks>
    public Tensor ForwardAt(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, Tensor logitPositions)
        => Live.model.ForwardAt(inputIds, attentionMask, positionIds, logitPositions);

    /// <inheritdoc />
    public IDisposable DisableAdapters()
    {
        ObjectDisposedException.ThrowIf(released, this);
        disabledScopes++;
        SetEnabled(false);
        return new EnableOnDispose(this);
    }

    /// <summary>
    /// Moves the base model to <paramref name="device"/> (and <paramref name="dtype"/>); the adapters follow to the device
    /// and stay float32 when the base becomes a 16-bit float. The base weights stay frozen.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="dtype">The base model's new dtype, or null to keep it.</param>
    public void MoveTo(Device device, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        Live.model.MoveTo(device, dtype);
        foreach (var (_, parameter) in model.named_parameters())
        {
            parameter.requires_grad = false;
        }

        ScalarType adapterType = LoraLayer.AdapterDType(model.DType);
        foreach (Adapter adapter in adapters)
        {
            adapter.Layer.MoveTo(model.Device, adapterType);
        }
    }

    /// <inheritdoc />
    public void SetTrainingMode(bool training) => Live.model.SetTrainingMode(training);

    /// <summary>
    /// Writes the adapter folder as PEFT's <c>save_pretrained</c> does: <c>adapter_config.json</c> and
    /// <c>adapter_model.safetensors</c> (the adapter matrices in their dtype under PEFT's keys, metadata
    /// <c>{"format": "pt"}</c>), plus the base model's tokenizer files, as TRL's trainers save them beside the adapter.
    /// Written to a temporary folder that replaces <paramref name="directory"/> when complete.
    /// </summary>
    /// <param name="directory">The destination folder.</param>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var tensors = NamedAdapterParameters().Select(p => (p.Name, (Tensor)p.Parameter)).ToList();
        IReadOnlyList<string> targets = SavedTargetModules();
        PretrainedModel.WriteFolder(directory, staging =>
        {
            SafeTensorsWriter.Write(Path.Combine(staging, AdapterWeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            PeftAdapterConfig.Write(Path.Combine(staging, AdapterConfigFileName), LoraConfig, targets);
            PretrainedModel.CopyCompanionFiles(model.SourceDirectory, staging);
        });
    }

    /// <summary>
    /// Copies the adapter weights of a folder written by <see cref="Save"/> (or by PEFT for the same targets and rank)
    /// into this model's adapters, bit-exactly when the dtypes match. Training checkpoints resume through this.
    /// </summary>
    /// <param name="directory">The adapter folder.</param>
    /// <exception cref="CheckpointException">
    /// A tensor is missing, unexpected or of the wrong shape, or the folder's <c>adapter_config.json</c> has another rank or
    /// scaling; the message names the file and tensor.
    /// </exception>
    public void ReloadWeights(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string path = Path.Combine(Path.GetFullPath(directory), AdapterWeightsFileName);
        if (!File.Exists(path))
        {
            throw new CheckpointException($"The adapter folder has no {AdapterWeightsFileName}: '{path}' does not exist.", path);
        }

        // Same shapes with another alpha or rsLoRA setting would load silently and run with another scaling.
        string configPath = Path.Combine(Path.GetFullPath(directory), AdapterConfigFileName);
        if (File.Exists(configPath) && PeftAdapterConfig.Read(configPath) is { } saved
            && (saved.R != LoraConfig.R || saved.Scaling != LoraConfig.Scaling))
        {
            throw new CheckpointException(
                FormattableString.Invariant($"'{configPath}' has r={saved.R}, scaling {saved.Scaling}; this model's adapters have r={LoraConfig.R}, scaling {LoraConfig.Scaling}."),
                configPath);
        }

        Dictionary<string, Parameter> expected = NamedAdapterParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        using SafeTensorsReader reader = SafeTensorsReader.Open(path);
        foreach (SafeTensorInfo tensor in reader.Tensors)
        {
            if (!expected.ContainsKey(tensor.Name))
            {
                throw new CheckpointException(
                    $"Tensor '{tensor.Name}' in '{path}' is not an adapter of this model (targets: {string.Join(", ", TargetModuleNames)}).", path, tensor.Name);
            }
        }

        using var noGrad = no_grad();
        foreach (var (name, parameter) in expected)
        {
            if (!reader.Contains(name))
            {
                throw new CheckpointException($"Adapter tensor '{name}' is missing from '{path}'.", path, name);
            }

            reader.ReadInto(name, parameter);
        }
    }

    /// <inheritdoc />
    public void SaveMerged(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Dictionary<string, LoraLayer> byWeight = Live.adapters.ToDictionary(a => a.Name + ".weight", a => a.Layer, StringComparer.Ordinal);
        PretrainedModel.SaveWithSubstitutes(model, directory, options: null, (name, weight) =>
            byWeight.TryGetValue(name, out LoraLayer? layer) ? layer.MergedWeight(weight) : weight);
    }

    /// <summary>
    /// Adds each adapter into its base weight in place (<c>W ← W + scaling · B A</c>, in the adapter dtype and rounded once
    /// to the weight's dtype, as PEFT's <c>merge_and_unload</c> does), removes the adapters and returns the base model,
    /// with the <c>requires_grad</c> flags it had before. This adapter model is released; the base model is not disposed.
    /// </summary>
    /// <returns>The base model, now holding the merged weights.</returns>
    public CausalLanguageModel MergeAndUnload()
    {
        CausalLanguageModel merged = Live.model;
        using (no_grad())
        {
            foreach (Adapter adapter in adapters)
            {
                using var scope = NewDisposeScope();
                adapter.Projection.Weight.copy_(adapter.Layer.MergedWeight(adapter.Projection.Weight));
            }
        }

        Release(disposeModel: false);
        return merged;
    }

    /// <summary>The adapter model itself for <see cref="ILoraModel"/>, <see cref="IReloadableWeights"/> and the like; otherwise the base model's services (generation, configuration).</summary>
    /// <param name="serviceType">The capability requested.</param>
    public object? GetService(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        // Adapters do not stack: the base model must not be offered for a second set.
        return serviceType == typeof(ILoraAdaptable) ? null : Live.model.GetService(serviceType);
    }

    /// <summary>Removes the adapters from the base model and frees them; disposes the base model when this owns it.</summary>
    public void Dispose() => Release(disposeModel: ownsModel);

    private void Release(bool disposeModel)
    {
        if (released)
        {
            return;
        }

        released = true;
        foreach (Adapter adapter in adapters)
        {
            adapter.Projection.Lora = null;
            adapter.Layer.Dispose();
        }

        adapters.Clear();
        model.RequireEmbeddingGrad = false;
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (baseRequiredGrad.TryGetValue(name, out bool required))
            {
                parameter.requires_grad = required;
            }
        }

        if (disposeModel)
        {
            model.Dispose();
        }
    }

    private void SetEnabled(bool enabled)
    {
        foreach (Adapter adapter in adapters)
        {
            adapter.Layer.Enabled = enabled;
        }
    }

    /// <summary>
    /// target_modules as PEFT would save them after injection: the names given, or for <c>all-linear</c> the layer names
    /// it expanded to (PEFT condenses long lists to such suffixes too).
    /// </summary>
    private IReadOnlyList<string> SavedTargetModules()
        => LoraConfig.EffectiveTargetModules is [var only] && string.Equals(only, LoraConfig.AllLinear, StringComparison.OrdinalIgnoreCase)
            ? [.. TargetModuleNames.Select(n => n[(n.LastIndexOf('.') + 1)..]).Distinct(StringComparer.Ordinal)]
            : LoraConfig.EffectiveTargetModules;

    /// <summary>
    /// PEFT's <c>check_target_module_exists</c>: a listed name matches a module whose full name equals it or ends with
    /// <c>.</c> + it; a regular expression must match the whole name; <c>all-linear</c> takes every linear layer but the
    /// output head. Every listed name must match something.
    /// </summary>
    private static List<(string Name, Projection Projection)> ResolveTargets(CausalLanguageModel model, LoraConfig config)
    {
        var projections = model.NamedProjections().ToList();
        List<(string Name, Projection Projection)> targets;
        if (config.TargetModulesRegex is { } pattern)
        {
            var regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            targets = [.. projections.Where(p => regex.IsMatch(p.Name))];
            if (targets.Count == 0)
            {
                throw new ArgumentException($"target_modules '{pattern}' matches no linear layer; they are {Describe(projections)}.", nameof(config));
            }

            return targets;
        }

        IReadOnlyList<string> names = config.EffectiveTargetModules;
        if (names is [var only] && string.Equals(only, LoraConfig.AllLinear, StringComparison.OrdinalIgnoreCase))
        {
            return [.. projections.Where(p => p.Name != "lm_head")];
        }

        static bool Matches(string module, string target) => module == target || module.EndsWith("." + target, StringComparison.Ordinal);
        string[] unmatched = [.. names.Where(t => !projections.Any(p => Matches(p.Name, t)))];
        if (unmatched.Length > 0)
        {
            throw new ArgumentException(
                $"target_modules [{string.Join(", ", unmatched)}] match no linear layer of this model; the layers are {Describe(projections)}.", nameof(config));
        }

        return [.. projections.Where(p => names.Any(t => Matches(p.Name, t)))];
    }

    private static string Describe(List<(string Name, Projection Projection)> projections)
        => string.Join(", ", projections.Select(p => p.Name[(p.Name.LastIndexOf('.') + 1)..]).Distinct(StringComparer.Ordinal));

    private static LoraConfig With(LoraConfig config, string baseModel) => new()
    {
        R = config.R,
        LoraAlpha = config.LoraAlpha,
        LoraDropout = config.LoraDropout,
        TargetModules = config.TargetModules,
        TargetModulesRegex = config.TargetModulesRegex,
        UseRslora = config.UseRslora,
        Bias = config.Bias,
        BaseModelNameOrPath = baseModel,
    };

    private sealed record Adapter(string Name, Projection Projection, LoraLayer Layer);

    private sealed class EnableOnDispose(LoraModel owner) : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (done)
            {
                return;
            }

            done = true;
            owner.disabledScopes--;
            if (owner.disabledScopes == 0 && !owner.released)
            {
                owner.SetEnabled(true);
            }
        }
    }
}
