using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Dpo.Reference;
using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tokenization;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo;

/// <summary>
/// Distilled direct preference optimisation (dDPO, Zephyr §2.3; DPO: Rafailov et al. 2023, Eq. 7): trains a policy on
/// preference pairs against a frozen reference. The trainer only orchestrates: it tokenizes the data
/// (<see cref="PreferenceTokenizer"/>), freezes the reference (<see cref="ReferenceModel"/>) or precomputes its log-probs,
/// and hands a <see cref="DpoObjective"/> to the shared <see cref="TrainingLoop{TBatch}"/>, which does the optimisation,
/// logging, evaluation, checkpoints and resume.
/// </summary>
/// <remarks>
/// <para>Two ways to build one:</para>
/// <list type="bullet">
/// <item>from paths, as <c>AddDpo</c> does: <see cref="DpoTrainer(DpoOptions, TorchDeviceOptions, IPolicyModelLoader, ILossFunction?, IEnumerable{ITrainingCallback}?, ILoggerFactory?)"/>
/// loads the tokenizer, data, policy and reference from <see cref="DpoOptions.ModelPath"/>, <see cref="DpoOptions.TrainFile"/> and
/// <see cref="DpoOptions.EvalFile"/> when training starts, and owns the models;</item>
/// <item>from objects: <see cref="DpoTrainer(IPolicyModel, IPolicyModel, DpoDataset, DpoOptions, DpoDataset?, ILossFunction?, IEnumerable{ITrainingCallback}?, ILogger?)"/>
/// trains a policy you own on pairs you tokenized.</item>
/// </list>
/// <para>
/// When training completes, the policy is written in Hugging Face format into <c>{OutputDirectory}</c> itself (as HF's <c>save_model</c> does); the loop's
/// <c>checkpoint-{step}/</c> folders and <c>metrics.jsonl</c> sit beside it.
/// </para>
/// <para>
/// With <see cref="TrainingOptions.UsePeft"/> (or a policy that already carries LoRA adapters and no reference), only the
/// adapters train and the reference is the policy with its adapters disabled (<see cref="AdapterDisabledReference"/>): no
/// second model is loaded. Checkpoints then hold the adapters, and the final output is a PEFT adapter folder.
/// </para>
/// </remarks>
public sealed class DpoTrainer : ITrainer, IDisposable
{
    private readonly DpoOptions options;
    private readonly ILogger logger;
    private readonly ITrainingCallback[] callbacks;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly IPolicyModelLoader? loader;
    private readonly TorchDeviceOptions? policyPlacement;
    private readonly TorchDeviceOptions? referencePlacement;
    private readonly bool ownsPolicy;

    private IPolicyModel? policy;
    private IReferenceModel? reference;
    private DpoDataset? trainDataset;
    private DpoDataset? evalDataset;
    private PreferenceTokenizerOptions? tokenization;
    private bool trained;
    private bool disposed;

    /// <summary>Creates a trainer that loads its tokenizer, data and models from the paths in <paramref name="options"/> when training starts.</summary>
    /// <param name="options">The options; checked at once, paths included.</param>
    /// <param name="device">The policy's device and dtype (the reference's too unless <see cref="DpoOptions.ReferenceDevice"/>/<see cref="DpoOptions.ReferenceDType"/> say otherwise).</param>
    /// <param name="loader">Loads checkpoint folders (e.g. <c>HuggingFaceModelLoader</c>).</param>
    /// <param name="loss">The preference loss; <see langword="null"/> builds it from the options (<see cref="CreateLoss"/>).</param>
    /// <param name="callbacks">Training observers, called in order.</param>
    /// <param name="loggerFactory">Creates the trainer's and the loop's logger; none by default.</param>
    /// <exception cref="OptionsValidationException">An option is invalid or a path does not exist; every problem is listed.</exception>
    /// <exception cref="ArgumentException">A device is unknown, or CUDA is requested on a machine without it and fall-back is off.</exception>
    public DpoTrainer(
        DpoOptions options,
        TorchDeviceOptions device,
        IPolicyModelLoader loader,
        ILossFunction? loss = null,
        IEnumerable<ITrainingCallback>? callbacks = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        this.options = Validated(options, sources: true);
        this.loader = loader ?? throw new ArgumentNullException(nameof(loader));
        logger = loggerFactory?.CreateLogger<DpoTrainer>() ?? NullLogger<DpoTrainer>.Instance;
        this.callbacks = [.. callbacks ?? []];
        Loss = loss ?? CreateLoss(options);
        ownsPolicy = true;

        // Both devices are resolved now, so a missing GPU is a start-up error and not a failure after tokenization.
        policyPlacement = Resolve(device.Device, device.DType, device.AllowCpuFallback);
        referencePlacement = Resolve(options.ReferenceDevice ?? device.Device, options.ReferenceDType ?? device.DType, device.AllowCpuFallback);
    }

    /// <summary>Creates a trainer for a policy you own and pairs you tokenized.</summary>
    /// <param name="policy">The model to train; the caller keeps ownership.</param>
    /// <param name="reference">
    /// The reference weights, a separate model object (usually a second load of the policy's starting checkpoint). The trainer
    /// takes ownership: it freezes the model at once, moves it to <see cref="DpoOptions.ReferenceDevice"/>/<see cref="DpoOptions.ReferenceDType"/>
    /// (default: the policy's), and disposes it after precomputing its log-probs or when the trainer is disposed.
    /// <see langword="null"/> for a LoRA policy (one that offers <see cref="ILoraModel"/>, or any policy with
    /// <see cref="TrainingOptions.UsePeft"/>, which gets adapters here): the reference is then the policy with its adapters disabled.
    /// Adapters added here stay on your model after the trainer is disposed; <see cref="Policy"/> is the adapter model,
    /// whose disposal removes them.
    /// </param>
    /// <param name="trainDataset">The training pairs.</param>
    /// <param name="options">The options (paths are not used); checked at once.</param>
    /// <param name="evalDataset">Evaluation pairs, or <see langword="null"/>.</param>
    /// <param name="loss">The preference loss; <see langword="null"/> builds it from the options.</param>
    /// <param name="callbacks">Training observers, called in order.</param>
    /// <param name="logger">Receives the trainer's and the loop's events; none by default.</param>
    /// <exception cref="OptionsValidationException">An option is invalid; every problem is listed.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="reference"/> is <paramref name="policy"/> itself, their vocabularies differ, or the reference device is unavailable;
    /// <paramref name="reference"/> is null for a policy without LoRA adapters, or given together with <see cref="TrainingOptions.UsePeft"/>.
    /// </exception>
    public DpoTrainer(
        IPolicyModel policy,
        IPolicyModel? reference,
        DpoDataset trainDataset,
        DpoOptions options,
        DpoDataset? evalDataset = null,
        ILossFunction? loss = null,
        IEnumerable<ITrainingCallback>? callbacks = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trainDataset);
        this.options = Validated(options, sources: false);
        this.logger = logger ?? NullLogger<DpoTrainer>.Instance;
        this.callbacks = [.. callbacks ?? []];
        Loss = loss ?? CreateLoss(options);
        this.trainDataset = trainDataset;
        this.evalDataset = evalDataset;
        if (reference is null)
        {
            // The caller keeps the base model; an adapter model made here is handed out through Policy, not disposed.
            this.policy = LoraTraining.Prepare(policy, options, ownsPolicy: false, this.logger);
            this.reference = this.policy is ILoraModel lora ? AdapterReference(lora) : throw new ArgumentNullException(
                nameof(reference), "A reference model is required unless the policy carries LoRA adapters (or UsePeft is set); their reference is the policy with adapters disabled.");
        }
        else
        {
            CheckSeparateReference(policy, reference, options);
            this.policy = policy;
            Device referenceDevice = options.ReferenceDevice is { } name
                ? TorchDevices.ResolveDevice(name, allowCpuFallback: false)
                : policy.Device;
            ScalarType referenceDType = options.ReferenceDType is { } type ? TorchDevices.ParseDType(type) : policy.DType;
            this.reference = new ReferenceModel(reference, referenceDevice, referenceDType);
        }

        LogModels();
    }

    /// <summary>The options.</summary>
    public DpoOptions Options => options;

    /// <summary>The preference loss.</summary>
    public ILossFunction Loss { get; }

    /// <summary>The policy: given, or loaded when training or evaluation first starts (<see langword="null"/> until then).</summary>
    public IPolicyModel? Policy => policy;

    /// <summary>
    /// The live frozen reference (a <see cref="ReferenceModel"/>, or an <see cref="AdapterDisabledReference"/> with LoRA);
    /// <see langword="null"/> before it is loaded and once it was released after precomputing.
    /// </summary>
    public IReferenceModel? Reference => reference;

    /// <summary>The training pairs (with their reference log-probs once precomputed); <see langword="null"/> until loaded.</summary>
    public DpoDataset? TrainDataset => trainDataset;

    /// <summary>The evaluation pairs, or <see langword="null"/>.</summary>
    public DpoDataset? EvalDataset => evalDataset;

    /// <summary>Builds the loss the options name: <see cref="DpoOptions.EffectiveLossTypes"/>, weights, β and ε, current or legacy TRL.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">A loss type is unknown or a hyperparameter is out of range.</exception>
    public static ILossFunction CreateLoss(DpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<double>? weights = options.LossWeights is null ? null : [.. options.LossWeights];
        return options.LegacyLosses
            ? DpoLosses.CreateLegacy(options.EffectiveLossTypes, weights, options.Beta, options.LabelSmoothing)
            : DpoLosses.Create(options.EffectiveLossTypes, weights, options.Beta, options.LabelSmoothing);
    }

    /// <summary>
    /// Trains to the configured epochs or steps (resuming when <see cref="TrainingOptions.ResumeFromCheckpoint"/> says so) and,
    /// when training completes, writes the policy into <c>{OutputDirectory}</c>. On the first call it loads what it was
    /// not given and, with <see cref="DpoOptions.PrecomputeRefLogProbs"/>, precomputes the reference log-probs and releases the reference.
    /// </summary>
    /// <param name="cancellationToken">Stops after the current optimizer step; a checkpoint of it is written and no final model.</param>
    /// <returns>The step, epoch and last metrics; <see cref="TrainingResult.OutputDirectory"/> is the final model folder, or the last checkpoint when cancelled.</returns>
    /// <exception cref="OutputDirectoryInUseException">
    /// <see cref="TrainingOptions.OutputDirectory"/> holds another run's checkpoints, metrics or model, and neither
    /// <see cref="TrainingOptions.ResumeFromCheckpoint"/> nor <see cref="TrainingOptions.OverwriteOutputDirectory"/> is set.
    /// </exception>
    /// <exception cref="InvalidOperationException">The trainer already trained (a trainer trains once).</exception>
    public async Task<TrainingResult> TrainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // As the SFT trainer: one run per trainer. A second run would start a fresh loop on the same output folder.
            if (trained)
            {
                throw new InvalidOperationException("A DpoTrainer trains once; create a new trainer to train again (resume with ResumeFromCheckpoint).");
            }

            trained = true;

            // Before any data or model is loaded: a folder holding another run's output fails fast, or is cleared.
            OutputDirectoryGuard.ClaimForTraining(
                options, [options.ModelPath, options.ReferenceModelPath, options.TrainFile, options.EvalFile, options.RefLogProbsCacheDirectory], logger);
            await PrepareDataAsync(cancellationToken).ConfigureAwait(false);
            return await OnTorchThreadAsync(() => Train(cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Evaluates the current policy on the evaluation pairs (loading and precomputing first if needed).</summary>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    /// <returns>The <c>eval_</c> metrics: <c>eval_loss</c>, <c>eval_rewards/accuracies</c>, ….</returns>
    /// <exception cref="InvalidOperationException">There is no evaluation data.</exception>
    public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await PrepareDataAsync(cancellationToken).ConfigureAwait(false);
            if (evalDataset is null)
            {
                throw new InvalidOperationException("There is no evaluation data: set DpoOptions.EvalFile, or pass an evaluation dataset.");
            }

            return await OnTorchThreadAsync(() =>
            {
                PrepareModels(cancellationToken);
                return CreateLoop().Evaluate(cancellationToken);
            }).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Releases the reference and, when the trainer loaded it, the policy.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        reference?.Dispose();
        reference = null;
        if (ownsPolicy)
        {
            policy?.Dispose();
            policy = null;
        }

        gate.Dispose();
    }

    private TrainingResult Train(CancellationToken cancellationToken)
    {
        PrepareModels(cancellationToken);
        TrainingLoop<DpoBatch> loop = CreateLoop();
        TrainingResult result;
        IConfigurableDropout? dropout = null;
        bool dropoutWas = false;
        if (options.DisableDropout)
        {
            dropout = policy!.GetService(typeof(IConfigurableDropout)) as IConfigurableDropout;
            if (dropout is null)
            {
                DpoLog.DropoutNotConfigurable(logger, policy.GetType().Name);
            }
            else
            {
                dropoutWas = dropout.DropoutEnabled;
                dropout.DropoutEnabled = false;
                DpoLog.DropoutDisabled(logger);
            }
        }

        try
        {
            result = loop.Run(cancellationToken);
        }
        finally
        {
            // The caller's model gets its dropout back, as it gets its training mode back from the loop.
            if (dropout is not null)
            {
                dropout.DropoutEnabled = dropoutWas;
            }
        }

        if (result.GlobalStep < loop.TotalSteps)
        {
            // Cancelled: the loop's checkpoint holds the state to resume from; a final model would be a lie.
            return result;
        }

        string final = FinalModel.Save(policy!, options.OutputDirectory);
        DpoLog.FinalModelSaved(logger, final);
        LoraTraining.SaveMergedIfRequested(policy!, options, final, logger);
        return result with { OutputDirectory = final };
    }

    private TrainingLoop<DpoBatch> CreateLoop()
    {
        if (options.PrefixSharing)
        {
            DpoLog.PrefixSharingOn(logger, reference is null ? "precomputed reference log-probs" : reference.GetType().Name);
        }

        return new(policy!, new DpoObjective(Loss, reference, options.PrefixSharing, logger), trainDataset!, options, evalDataset, callbacks, logger);
    }

    private async Task PrepareDataAsync(CancellationToken cancellationToken)
    {
        if (trainDataset is not null)
        {
            return;
        }

        string modelPath = options.ModelPath!;
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(modelPath);
        IChatTemplate template = ResolveTemplate(tokenizer);
        tokenization = new PreferenceTokenizerOptions
        {
            MaxLength = options.MaxLength,
            MaxPromptLength = options.MaxPromptLength,
            TruncationMode = options.TruncationMode,
        };
        var collator = PreferenceCollator.ForTokenizer(tokenizer);
        var train = new DpoDataset(await TokenizeAsync("train", options.TrainFile!, tokenizer, template, cancellationToken).ConfigureAwait(false), collator);
        DpoDataset? eval = options.EvalFile is { } evalFile
            ? new DpoDataset(await TokenizeAsync("eval", evalFile, tokenizer, template, cancellationToken).ConfigureAwait(false), collator)
            : null;
        (trainDataset, evalDataset) = (train, eval);
    }

    private async Task<List<TokenizedPreference>> TokenizeAsync(
        string split, string path, ITokenizer tokenizer, IChatTemplate template, CancellationToken cancellationToken)
    {
        var dataset = new PreferenceDataset(path, new PreferenceDatasetOptions { InvalidRows = options.InvalidRows });
        var preferenceTokenizer = new PreferenceTokenizer(tokenizer, template, tokenization);
        var pairs = new List<TokenizedPreference>();
        await foreach (TokenizedPreference pair in preferenceTokenizer.TokenizeAsync(dataset, cancellationToken).ConfigureAwait(false))
        {
            pairs.Add(pair);
        }

        var report = preferenceTokenizer.Report;
        DpoLog.DatasetTokenized(logger, split, path, report.Kept, report.Truncated, report.Dropped.Count, dataset.InvalidRows.Count);
        if (dataset.InvalidRows.Count > 0)
        {
            DpoLog.DatasetReport(logger, split, path, dataset.InvalidRows.ToString());
        }

        if (report.Dropped.Count > 0)
        {
            DpoLog.DatasetReport(logger, split, path, report.Dropped.ToString());
        }

        if (pairs.Count == 0)
        {
            throw new InvalidOperationException($"No {split} pair of '{path}' fits MaxLength {options.MaxLength}: {report}");
        }

        return pairs;
    }

    private IChatTemplate ResolveTemplate(ITokenizer tokenizer)
    {
        (IChatTemplate template, string reason) = options.ChatTemplate is { } name
            ? (ChatTemplates.Default.Get(name), "the ChatTemplate option")
            : (ChatTemplateRecognizer.ForTokenizer(tokenizer, logger, options.ModelPath), tokenizer.ChatTemplate switch
            {
                null => "the checkpoint has no chat template; default, with a warning",
                { } source when ChatTemplateRecognizer.TryRecognize(source, out _) => "recognised from the checkpoint's tokenizer configuration",
                _ => "the checkpoint's chat template, rendered by the Jinja interpreter",
            });
        DpoLog.ChatTemplateChosen(logger, template.Name, reason);
        return template;
    }

    private void PrepareModels(CancellationToken cancellationToken)
    {
        if (policy is null && options.UsePeft)
        {
            IPolicyModel loaded = loader!.Load(options.ModelPath!, policyPlacement!);
            try
            {
                policy = LoraTraining.Prepare(loaded, options, ownsPolicy: true, logger);
            }
            catch
            {
                loaded.Dispose();
                throw;
            }

            reference = AdapterReference((ILoraModel)policy);
            LogModels();
        }

        if (policy is null)
        {
            policy = loader!.Load(options.ModelPath!, policyPlacement!);
            IPolicyModel referenceWeights = loader.Load(options.ReferenceModelPath ?? options.ModelPath!, referencePlacement!);
            try
            {
                if (referenceWeights.VocabularySize != policy.VocabularySize)
                {
                    throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                        $"The reference '{options.ReferenceModelPath}' has a vocabulary of {referenceWeights.VocabularySize}; the policy's is {policy.VocabularySize}."));
                }

                reference = new ReferenceModel(referenceWeights);
            }
            catch
            {
                referenceWeights.Dispose();
                throw;
            }

            LogModels();
        }

        if (options.PrecomputeRefLogProbs && reference is not null)
        {
            trainDataset = trainDataset!.ReferenceLogProbs is null ? trainDataset.WithReferenceLogProbs(Precompute(trainDataset, "train", cancellationToken)) : trainDataset;
            if (evalDataset is { ReferenceLogProbs: null })
            {
                evalDataset = evalDataset.WithReferenceLogProbs(Precompute(evalDataset, "eval", cancellationToken));
            }

            // The point of precomputing: training holds one model, not two.
            reference.Dispose();
            reference = null;
            DpoLog.ReferenceReleased(logger);
        }
    }

    private PrecomputedReferenceLogProbs Precompute(DpoDataset dataset, string split, CancellationToken cancellationToken)
    {
        IReferenceModel frozen = reference!;
        int batchSize = options.PrecomputeRefBatchSize ?? options.PerDeviceEvalBatchSize;
        string? path = null, fingerprint = null;
        if (options.RefLogProbsCacheDirectory is { } directory)
        {
            fingerprint = ReferenceLogProbCache.Fingerprint(frozen, dataset.Examples, dataset.Collator.PadTokenId, batchSize, tokenization, options.PrefixSharing);
            path = ReferenceLogProbCache.PathFor(directory, fingerprint);
            if (ReferenceLogProbCache.TryLoad(path, fingerprint, dataset.Count, out string? problem) is { } cached)
            {
                DpoLog.CacheHit(logger, cached.Count, split, path);
                return cached;
            }

            if (problem is not null)
            {
                DpoLog.CacheUnusable(logger, path, problem);
            }
        }

        DpoLog.PrecomputeStarted(logger, dataset.Count, split, batchSize);
        var stopwatch = Stopwatch.StartNew();
        var values = PrecomputedReferenceLogProbs.Compute(frozen, dataset.Examples, dataset.Collator, batchSize, options.PrefixSharing, logger, progress: null, cancellationToken);
        DpoLog.PrecomputeFinished(logger, values.Count, split, stopwatch.Elapsed.TotalSeconds);
        if (path is not null)
        {
            ReferenceLogProbCache.Save(path, fingerprint!, values);
            DpoLog.CacheWritten(logger, split, path);
        }

        return values;
    }

    private static void CheckSeparateReference(IPolicyModel policy, IPolicyModel reference, DpoOptions options)
    {
        if (options.UsePeft)
        {
            throw new ArgumentException(
                "UsePeft makes the reference the policy with its LoRA adapters disabled; pass reference: null instead of a separate reference model.",
                nameof(reference));
        }

        if (ReferenceEquals(policy, reference))
        {
            throw new ArgumentException(
                "The reference must be a separate model object: freezing the policy itself would stop it from training. Load the checkpoint twice.",
                nameof(reference));
        }

        if (policy.VocabularySize != reference.VocabularySize)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The reference's vocabulary ({reference.VocabularySize}) differs from the policy's ({policy.VocabularySize})."),
                nameof(reference));
        }
    }

    private AdapterDisabledReference AdapterReference(ILoraModel lora)
    {
        DpoLog.AdapterDisabledReference(logger, lora.NamedBaseParameters().Sum(p => p.Parameter.NumberOfElements));
        return new AdapterDisabledReference(lora);
    }

    private void LogModels()
    {
        DpoLog.LossChosen(logger, Loss.Name, options.Beta);
        if (policy is not null && reference is ReferenceModel separate)
        {
            DpoLog.ModelsReady(
                logger, policy.Device.ToString(), TorchDevices.DTypeName(policy.DType), separate.Device.ToString(), TorchDevices.DTypeName(separate.DType), separate.ParameterCount);
        }
    }

    private TorchDeviceOptions Resolve(string device, string dtype, bool allowCpuFallback)
    {
        Device resolved = TorchDevices.ResolveDevice(device, allowCpuFallback, warning => DpoLog.DeviceFallback(logger, warning));
        TorchDevices.ParseDType(dtype);

        // The resolved name goes to the loader, so a fall-back is decided (and logged) once.
        string name = resolved.type == DeviceType.CPU ? "cpu" : string.Create(CultureInfo.InvariantCulture, $"cuda:{resolved.index}");
        return new TorchDeviceOptions { Device = name, DType = dtype, AllowCpuFallback = false };
    }

    private static DpoOptions Validated(DpoOptions options, bool sources)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        DpoOptionsValidator.AddFailures(options, failures);
        if (sources)
        {
            DpoOptionsValidator.AddSourceFailures(options, failures);
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(DpoOptions), failures);
        }

        return options;
    }

    private static Task<T> OnTorchThreadAsync<T>(Func<T> work)
        // Torch's grad mode and dispose scopes belong to a thread, so a run stays on one dedicated thread.
        => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
