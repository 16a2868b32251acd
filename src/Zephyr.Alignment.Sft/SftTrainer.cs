using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Sft.Masking;
using Zephyr.Alignment.Sft.Packing;
using Zephyr.Alignment.Tokenization;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Sft;

/// <summary>
/// Distilled supervised fine-tuning (dSFT), the first stage of Zephyr (Tunstall et al. 2023, §3): next-token
/// cross-entropy on teacher-written dialogues, on the shared <see cref="TrainingLoop{TBatch}"/>.
/// </summary>
/// <remarks>
/// <para>The trainer only orchestrates: file → <see cref="ConversationDataset"/> → <see cref="ConversationTokenizer"/>
/// (chat template, length limit) → <see cref="LossMask"/> → <see cref="SftDataset"/> (packed or padded rows) →
/// <see cref="TrainingLoop{TBatch}"/> with <see cref="SftObjective"/>. The loop supplies the schedule, accumulation,
/// clipping, evaluation, metrics, checkpoints and exact resume.</para>
/// <para>Skipped rows, truncated and dropped examples and the padding saved by packing are logged and kept in
/// <see cref="DataReport"/>. When training completes, the model is written to
/// <see cref="TrainingOptions.OutputDirectory"/> as a Hugging Face checkpoint folder (weights, <c>config.json</c>, and
/// the tokenizer files of the folder the model was loaded from), which the DPO trainer and <c>zephyr generate</c> load.</para>
/// <example>
/// <code>
/// services.AddZephyrAlignment().AddHuggingFaceModels().AddSft(configuration.GetSection("Sft"));
/// using SftTrainer trainer = provider.GetRequiredService&lt;SftTrainer&gt;();
/// TrainingResult result = await trainer.TrainAsync(cancellationToken);
/// </code>
/// </example>
/// </remarks>
public sealed class SftTrainer : ITrainer, IDisposable
{
    private readonly IPolicyModelLoader? loader;
    private readonly TorchDeviceOptions? device;
    private readonly ITrainingCallback[] callbacks;
    private readonly ILogger logger;
    private readonly SemaphoreSlim gate = new(1, 1);
    private IPolicyModel? policy;
    private ITokenizer? tokenizer;
    private bool ownsPolicy;
    private TrainingLoop<SftBatch>? loop;
    private bool hasEvalData;
    private int trainCalls;
    private bool disposed;

    /// <summary>Creates a trainer for a model you already hold; <see cref="SftOptions.ModelPath"/> is not used.</summary>
    /// <param name="policy">The model to fine-tune, in place; the caller keeps ownership.</param>
    /// <param name="tokenizer">The model's tokenizer (its <c>chat_template</c> is recognised when <see cref="SftOptions.ChatTemplate"/> is null).</param>
    /// <param name="options">The options; validated here.</param>
    /// <param name="callbacks">Observers of training, called in order.</param>
    /// <param name="logger">Receives data reports, progress and metrics.</param>
    /// <exception cref="OptionsValidationException">An option is invalid; every failure is listed.</exception>
    public SftTrainer(IPolicyModel policy, ITokenizer tokenizer, SftOptions options, IEnumerable<ITrainingCallback>? callbacks = null, ILogger<SftTrainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Options = Validated(options, requireModelPath: false);
        this.policy = policy;
        this.tokenizer = tokenizer;
        this.callbacks = [.. callbacks ?? []];
        this.logger = logger ?? NullLogger<SftTrainer>.Instance;
    }

    /// <summary>
    /// Creates a trainer that loads <see cref="SftOptions.ModelPath"/> (model and tokenizer) when it first needs it; this is
    /// the constructor <c>AddSft</c> registers. The trainer owns and disposes the model it loads.
    /// </summary>
    /// <param name="loader">Loads the checkpoint (e.g. <c>AddHuggingFaceModels()</c>).</param>
    /// <param name="options">The options; validated here.</param>
    /// <param name="device">Device and dtype of the model.</param>
    /// <param name="callbacks">Observers of training, called in order.</param>
    /// <param name="logger">Receives data reports, progress and metrics.</param>
    /// <exception cref="OptionsValidationException">An option is invalid (including a missing <see cref="SftOptions.ModelPath"/>); every failure is listed.</exception>
    public SftTrainer(
        IPolicyModelLoader loader,
        IOptions<SftOptions> options,
        IOptions<TorchDeviceOptions> device,
        IEnumerable<ITrainingCallback>? callbacks = null,
        ILogger<SftTrainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(loader);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(device);
        Options = Validated(options.Value, requireModelPath: true);
        this.loader = loader;
        this.device = device.Value;
        this.callbacks = [.. callbacks ?? []];
        this.logger = logger ?? NullLogger<SftTrainer>.Instance;
    }

    /// <summary>The options.</summary>
    public SftOptions Options { get; }

    /// <summary>The model being trained; null until <see cref="PrepareAsync"/> has loaded it.</summary>
    public IPolicyModel? Policy => policy;

    /// <summary>The chat template, data counts and padding figures; null until <see cref="PrepareAsync"/> ran.</summary>
    public SftDataReport? DataReport { get; private set; }

    /// <summary>The training rows; null until <see cref="PrepareAsync"/> ran.</summary>
    public SftDataset? TrainDataset { get; private set; }

    /// <summary>The evaluation rows; null without <see cref="SftOptions.EvalFile"/> or before <see cref="PrepareAsync"/>.</summary>
    public SftDataset? EvalDataset { get; private set; }

    /// <summary>
    /// Reads, validates, tokenizes, masks and packs the data, loads the model when the trainer loads it, and builds the
    /// training loop. <see cref="TrainAsync"/> and <see cref="EvaluateAsync"/> call it; calling it first lets you inspect
    /// <see cref="DataReport"/>. Runs once; later calls return the same report.
    /// </summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The data report.</returns>
    /// <exception cref="Zephyr.Alignment.Data.DatasetFormatException">A file error, or an invalid row with <see cref="Zephyr.Alignment.Data.InvalidRowHandling.Throw"/>; the message names the file and row.</exception>
    /// <exception cref="InvalidOperationException">No usable example is left in a file.</exception>
    public async Task<SftDataReport> PrepareAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (DataReport is { } done)
            {
                return done;
            }

            // The tokenizer and data come first: a bad file should fail before a multi-gigabyte model is loaded.
            ITokenizer tok = tokenizer ??= HuggingFaceTokenizer.FromFolder(Options.ModelPath!);
            (IChatTemplate template, string templateName) = ResolveTemplate(tok);
            var (train, trainReport) = await ReadSplitAsync("train", Options.TrainFile!, tok, template, Options.PerDeviceTrainBatchSize, cancellationToken).ConfigureAwait(false);
            (SftDataset Data, SftSplitReport Report)? eval = Options.EvalFile is null
                ? null
                : await ReadSplitAsync("eval", Options.EvalFile, tok, template, Options.PerDeviceEvalBatchSize, cancellationToken).ConfigureAwait(false);

            if (policy is null)
            {
                SftLog.LoadingModel(logger, Options.ModelPath!);
                policy = loader!.Load(Options.ModelPath!, device!);
                ownsPolicy = true;
            }

            loop = new TrainingLoop<SftBatch>(
                policy, new SftObjective(), train, Options, eval?.Data, callbacks, logger);
            hasEvalData = eval is not null;
            TrainDataset = train;
            EvalDataset = eval?.Data;
            DataReport = new SftDataReport(templateName, trainReport, eval?.Report);
            return DataReport;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Trains to the configured epochs or steps (resuming when <see cref="TrainingOptions.ResumeFromCheckpoint"/> says so)
    /// and, when training completes, writes the model to <see cref="TrainingOptions.OutputDirectory"/>. Runs once.
    /// </summary>
    /// <param name="cancellationToken">Stops after the current optimizer step; a checkpoint of it is written and no final model.</param>
    /// <returns>
    /// The final step, epoch and last training metrics; <see cref="TrainingResult.OutputDirectory"/> is the output folder
    /// holding the final model, or the last checkpoint when training was cancelled.
    /// </returns>
    /// <exception cref="OutputDirectoryInUseException">
    /// <see cref="TrainingOptions.OutputDirectory"/> holds another run's checkpoints, metrics or model, and neither
    /// <see cref="TrainingOptions.ResumeFromCheckpoint"/> nor <see cref="TrainingOptions.OverwriteOutputDirectory"/> is set.
    /// </exception>
    /// <exception cref="InvalidOperationException">The trainer already trained (a trainer trains once).</exception>
    public async Task<TrainingResult> TrainAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Interlocked.Exchange(ref trainCalls, 1) != 0)
        {
            throw new InvalidOperationException("An SftTrainer trains once; create a new trainer to train again (resume with ResumeFromCheckpoint).");
        }

        // Before any data or model is loaded: a folder holding another run's output fails fast, or is cleared.
        OutputDirectoryGuard.ClaimForTraining(Options, [Options.ModelPath, Options.TrainFile, Options.EvalFile], logger);
        await PrepareAsync(cancellationToken).ConfigureAwait(false);
        TrainingResult result = await loop!.RunAsync(cancellationToken).ConfigureAwait(false);
        if (result.GlobalStep < loop.TotalSteps)
        {
            SftLog.NoFinalModel(logger, result.GlobalStep, result.OutputDirectory);
            return result;
        }

        string output = FinalModel.Save(policy!, Options.OutputDirectory);
        SftLog.FinalModelSaved(logger, output);
        return result with { OutputDirectory = output };
    }

    /// <summary>
    /// Evaluates the current model on <see cref="SftOptions.EvalFile"/>: <c>eval_loss</c>, <c>eval_mean_token_accuracy</c>,
    /// <c>eval_num_tokens</c> and <c>eval_perplexity</c> = exp(<c>eval_loss</c>).
    /// </summary>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    /// <returns>The <c>eval_</c> metrics.</returns>
    /// <exception cref="InvalidOperationException"><see cref="SftOptions.EvalFile"/> is not set.</exception>
    public async Task<IReadOnlyDictionary<string, double>> EvaluateAsync(CancellationToken cancellationToken = default)
    {
        await PrepareAsync(cancellationToken).ConfigureAwait(false);
        if (!hasEvalData)
        {
            throw new InvalidOperationException("EvalFile is not set, so there is nothing to evaluate on.");
        }

        return await loop!.EvaluateAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the model if this trainer loaded it.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (ownsPolicy)
        {
            policy?.Dispose();
        }

        gate.Dispose();
    }

    private (IChatTemplate Template, string Name) ResolveTemplate(ITokenizer tok)
    {
        IChatTemplate template;
        string name;
        string how;
        if (Options.ChatTemplate is { } requested)
        {
            template = ChatTemplates.Default.Get(requested);
            name = requested;
            how = "ChatTemplate option";
        }
        else if (tok.ChatTemplate is { } source && ChatTemplateRecognizer.TryRecognize(source, out ChatTemplateCatalogEntry? entry))
        {
            template = entry.Template;
            name = entry.Id;
            how = "recognised from the checkpoint's chat_template";
        }
        else
        {
            template = ChatTemplates.Default.Get(ZephyrChatTemplate.TemplateName);
            name = ZephyrChatTemplate.TemplateName;
            how = tok.ChatTemplate is null ? "the checkpoint has no chat_template; default" : "the checkpoint's chat_template is not recognised; default";
        }

        SftLog.TemplateSelected(logger, name, how);
        return (template, name);
    }

    private async Task<(SftDataset Data, SftSplitReport Report)> ReadSplitAsync(
        string split, string file, ITokenizer tok, IChatTemplate template, int batchSize, CancellationToken cancellationToken)
    {
        var dataset = new ConversationDataset(file, new ConversationDatasetOptions { InvalidRows = Options.InvalidRows });
        var conversationTokenizer = new ConversationTokenizer(
            tok, template, new ConversationTokenizerOptions { MaxLength = Options.MaxLength, Overlong = Options.OverlongExamples });
        var mask = new LossMask(Options.AssistantOnlyLoss, Options.CompletionOnlyLoss);
        var examples = new List<TokenizedConversation>();
        await foreach (ConversationExample example in dataset.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (conversationTokenizer.Tokenize(example) is { } tokenized)
            {
                examples.Add(mask.Apply(tokenized, example.IsConversational));
            }
        }

        var tokenization = conversationTokenizer.Report;
        var skipped = dataset.InvalidRows;
        SftLog.DataRead(logger, split, file, tokenization.Kept, tokenization.Truncated, Options.MaxLength, tokenization.Dropped.Count, skipped.Count);
        if (skipped.Count > 0)
        {
            SftLog.RowsSkipped(logger, split, file, skipped.Count, string.Join(" | ", skipped.FirstReasons));
        }

        if (tokenization.Dropped.Count > 0)
        {
            SftLog.ExamplesDropped(logger, split, file, tokenization.Dropped.Count, string.Join(" | ", tokenization.Dropped.FirstReasons));
        }

        if (examples.Count == 0)
        {
            throw new InvalidOperationException($"No example of '{file}' is left to train on: {tokenization}");
        }

        // Padding positions are masked out of attention and loss, so any id works; the pad token keeps the tensors readable.
        int padId = tok.PadToken?.Id ?? tok.EosToken?.Id ?? 0;
        SftDataset data = Options.Packing ? SftDataset.Packed(examples, Options.MaxLength, padId) : SftDataset.Unpacked(examples, padId);
        int[] exampleLengths = [.. examples.Select(e => e.InputIds.Length)];
        int[] packedLengths = data.IsPacked
            ? [.. data.RowLengths]
            : [.. SequencePacker.Pack(exampleLengths, Options.MaxLength).Select(row => row.Sum(i => exampleLengths[i]))];
        PaddingReport padding = PaddingReport.Measure(exampleLengths, packedLengths, batchSize, Options.Seed);
        if (data.IsPacked)
        {
            SftLog.Packed(logger, split, padding.Examples, padding.Tokens, padding.PackedRows, Options.MaxLength,
                padding.UnpackedPaddingFraction, padding.PackedPaddingFraction, padding.PaddingFractionSaved);
        }
        else
        {
            SftLog.NotPacked(logger, split, padding.Examples, padding.Tokens, padding.UnpackedPaddingFraction, padding.PackedPaddingFraction);
        }

        return (data, new SftSplitReport(file, skipped, tokenization, padding, data.IsPacked));
    }

    private static SftOptions Validated(SftOptions options, bool requireModelPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        SftOptionsValidator.AddFailures(options, failures);
        if (requireModelPath && string.IsNullOrWhiteSpace(options.ModelPath))
        {
            failures.Add($"ModelPath must name a checkpoint folder to load; got '{options.ModelPath}'.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(SftOptions), failures);
        }

        return options;
    }
}
