using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TorchSharp;
using TorchSharp.Modules;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Training;

/// <summary>
/// The one training loop of the library, shared by the SFT and DPO trainers and by trainers of your own: AdamW over
/// the policy's trainable parameters, a warmup-then-decay learning-rate schedule, gradient accumulation, global-norm
/// clipping, periodic evaluation, metrics (logger, callbacks, <c>metrics.jsonl</c>), atomic checkpoints and exact resume.
/// </summary>
/// <typeparam name="TBatch">The batch type that <paramref name="trainDataset"/> produces and <paramref name="objective"/> consumes.</typeparam>
/// <param name="policy">The model to train; it stays on its device and dtype.</param>
/// <param name="objective">Computes the loss and metrics of a batch.</param>
/// <param name="trainDataset">The training examples; the loop shuffles them per epoch.</param>
/// <param name="options">The hyperparameters, read when the loop is built and when it runs; do not change them in between.</param>
/// <param name="evalDataset">Evaluation examples, read in order; required when <see cref="TrainingOptions.EvalSteps"/> is positive.</param>
/// <param name="callbacks">Observers, called in order on the training thread.</param>
/// <param name="logger">Receives the progress and metrics; none by default.</param>
/// <remarks>
/// <para>One optimizer step, in order (compare nanoGPT's <c>train.py</c>):</para>
/// <list type="number">
/// <item>seed torch with <see cref="TrainingOptions.Seed"/> + step and set the step's learning rate from the schedule;</item>
/// <item>for each of up to <see cref="TrainingOptions.GradientAccumulationSteps"/> micro-batches: collate, compute the loss,
/// divide it by the number of micro-batches and back-propagate, each micro-batch in its own dispose scope; a token-averaged
/// loss (<see cref="ObjectiveOutput.LossItems"/>) is instead normalised by the tokens of the whole step (<c>num_items_in_batch</c>);</item>
/// <item>clip the global gradient norm to <see cref="TrainingOptions.MaxGradNorm"/> (the norm before clipping is logged as <c>grad_norm</c>);</item>
/// <item>take the AdamW step and drop the gradients; a half-precision policy is updated through float32 master
/// weights (<see cref="TrainingOptions.Bf16"/>, <see cref="TrainingOptions.Fp16"/>, <c>docs/precision.md</c>);</item>
/// <item>report the step to the callbacks, then log, evaluate and save when their step counts say so.</item>
/// </list>
/// <para>
/// Cancellation is honoured between optimizer steps: a step in progress completes, a checkpoint of it is written,
/// and <see cref="Run"/> returns normally. A loop runs once.
/// </para>
/// </remarks>
public sealed class TrainingLoop<TBatch>(
    IPolicyModel policy,
    ITrainingObjective<TBatch> objective,
    ITrainingDataset<TBatch> trainDataset,
    TrainingOptions options,
    ITrainingDataset<TBatch>? evalDataset = null,
    IEnumerable<ITrainingCallback>? callbacks = null,
    ILogger? logger = null)
{
    /// <summary>The name of the metrics file in <see cref="TrainingOptions.OutputDirectory"/>.</summary>
    public const string MetricsFileName = "metrics.jsonl";

    private readonly IPolicyModel policy = policy ?? throw new ArgumentNullException(nameof(policy));
    private readonly ITrainingObjective<TBatch> objective = objective ?? throw new ArgumentNullException(nameof(objective));
    private readonly ITrainingDataset<TBatch> trainDataset = trainDataset ?? throw new ArgumentNullException(nameof(trainDataset));
    private readonly TrainingOptions options = Validated(options, trainDataset, evalDataset);
    private readonly ITrainingDataset<TBatch>? evalDataset = evalDataset;
    private readonly ITrainingCallback[] callbacks = [.. callbacks ?? []];
    private readonly ILogger logger = logger ?? NullLogger.Instance;
    private readonly TrainingPlan plan = new(
        trainDataset.Count, options.PerDeviceTrainBatchSize, options.GradientAccumulationSteps, options.NumTrainEpochs, options.MaxSteps, options.Seed);

    private int started;

    /// <summary>Optimizer steps of the whole run (from <see cref="TrainingOptions.MaxSteps"/> or the epochs).</summary>
    public long TotalSteps => plan.TotalSteps;

    /// <summary>Optimizer steps per pass over the training data (the last step of an epoch may use fewer micro-batches).</summary>
    public int StepsPerEpoch => plan.StepsPerEpoch;

    /// <summary>Trains on a dedicated thread; see <see cref="Run"/>.</summary>
    /// <param name="cancellationToken">Stops training after the current optimizer step; its state is saved.</param>
    /// <returns>The final step, epoch, last logged metrics and last checkpoint folder.</returns>
    public Task<TrainingResult> RunAsync(CancellationToken cancellationToken = default)
        => Task.Factory.StartNew(() => Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Trains on the calling thread to <see cref="TotalSteps"/>, resuming first when
    /// <see cref="TrainingOptions.ResumeFromCheckpoint"/> says so, and writes a final checkpoint.
    /// </summary>
    /// <param name="cancellationToken">Stops training after the current optimizer step; its state is saved.</param>
    /// <returns>
    /// The final step, epoch, last logged metrics and the last checkpoint folder (which holds the policy in Hugging
    /// Face format); the folder is null when no step was taken.
    /// </returns>
    /// <exception cref="InvalidOperationException">The loop already ran, or the checkpoint to resume from does not fit this run.</exception>
    public TrainingResult Run(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref started, 1) != 0)
        {
            throw new InvalidOperationException("A TrainingLoop runs once; create a new one to train again.");
        }

        TorchRuntime.EnsureInitialized();
        TorchRuntime.NativeMemory.Log(logger);
        var stopwatch = Stopwatch.StartNew();
        string output = options.OutputDirectory;

        // Before anything is written: a fresh run never interleaves with another run's checkpoints and metrics.
        OutputDirectoryGuard.ClaimForTraining(options, logger: logger);

        Directory.CreateDirectory(output);
        foreach (string folder in CheckpointManager.RemoveTemporaries(output))
        {
            TrainingLog.TemporaryRemoved(logger, folder);
        }

        var metricsFile = new MetricsFile(Path.Combine(output, MetricsFileName));
        long warmup = LearningRateSchedule.ResolveWarmupSteps(options.WarmupRatio, options.WarmupSteps, plan.TotalSteps);
        var schedule = new LearningRateSchedule(options.LrSchedulerType, warmup, plan.TotalSteps);
        // Mixed precision may convert the policy, so its parameters are read after the optimizer exists.
        using TrainingOptimizer optimizer = TrainingOptimizer.Create(policy, options, logger);
        var parameters = optimizer.Parameters.ToList();
        using var checkpointing = GradientCheckpointingScope.Enable(policy, options.GradientCheckpointing, logger);

        var run = new RunState();
        string? resumeFrom = ResolveResume(output);
        if (resumeFrom is not null)
        {
            Resume(resumeFrom, parameters, optimizer, run, warmup);
            TrainingLog.Resumed(logger, resumeFrom, run.Step);
        }

        metricsFile.TruncateAfter(run.Step);
        TrainingLog.TrainingStarted(
            logger, plan.ExampleCount, plan.TotalSteps, plan.Accumulation, plan.BatchSize, plan.StepsPerEpoch, schedule.Type, warmup, options.LearningRate);

        if (options.GarbageCollectionSteps > 0)
        {
            TrainingLog.GarbageCollection(logger, options.GarbageCollectionSteps);
        }

        bool wasTraining = policy.IsTraining;
        policy.SetTrainingMode(true);
        DropGradients(parameters);
        Notify(c => c.OnTrainBegin(Progress(run.Step)));
        var window = new MetricAggregator();
        bool cancelled = false;
        try
        {
            while (run.Step < plan.TotalSteps)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }

                StepOutcome outcome = TrainStep(run.Step, schedule, parameters, optimizer, window, run.Counts);
                run.Step++;
                if (options.GarbageCollectionSteps > 0 && run.Step % options.GarbageCollectionSteps == 0)
                {
                    CollectStepGarbage();
                }

                run.LastLearningRate = outcome.LearningRate;
                run.LastGradNorm = outcome.GradNorm;
                window.Add(MetricNames.Loss, outcome.Loss);
                if (!double.IsFinite(outcome.Loss))
                {
                    TrainingLog.NonFiniteLoss(logger, run.Step, outcome.Loss);
                }

                Notify(c => c.OnStepEnd(Progress(run.Step)));
                if (run.Step % options.LoggingSteps == 0)
                {
                    LogTraining(run, window, metricsFile);
                }

                if (options.EvalSteps > 0 && run.Step % options.EvalSteps == 0)
                {
                    EvaluateAndLog(run, metricsFile, cancellationToken);
                }

                if (options.SaveSteps > 0 && run.Step % options.SaveSteps == 0)
                {
                    SaveCheckpoint(run, parameters, optimizer, warmup);
                }
            }

            cancelled |= run.Step < plan.TotalSteps;
            if (!window.IsEmpty)
            {
                // The steps since the last log would otherwise never be reported.
                LogTraining(run, window, metricsFile);
            }

            if (run.Step > 0 && run.LastSavedStep != run.Step)
            {
                SaveCheckpoint(run, parameters, optimizer, warmup);
            }
        }
        finally
        {
            DropGradients(parameters);
            policy.SetTrainingMode(wasTraining);
        }

        if (cancelled)
        {
            TrainingLog.Cancelled(logger, run.Step);
        }
        else
        {
            TrainingLog.Finished(logger, run.Step, stopwatch.Elapsed.TotalSeconds);
        }

        Notify(c => c.OnTrainEnd(Progress(run.Step)));
        return new TrainingResult(run.Step, plan.EpochAfter(run.Step), run.LastMetrics, run.LastCheckpoint);
    }

    /// <summary>Evaluates the policy on the evaluation data on a dedicated thread; see <see cref="Evaluate"/>.</summary>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    /// <returns>The <c>eval_</c> metrics.</returns>
    public Task<IReadOnlyDictionary<string, double>> EvaluateAsync(CancellationToken cancellationToken = default)
        => Task.Factory.StartNew(() => Evaluate(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Evaluates the policy on the evaluation data, in order, in evaluation mode and without gradients: <c>eval_loss</c>
    /// is the example-weighted mean loss and every objective metric is averaged with its weight, all prefixed <c>eval_</c>.
    /// </summary>
    /// <param name="cancellationToken">Checked between batches.</param>
    /// <returns>The <c>eval_</c> metrics.</returns>
    /// <exception cref="InvalidOperationException">The loop has no evaluation data.</exception>
    /// <exception cref="OperationCanceledException">The evaluation was cancelled.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(CancellationToken cancellationToken = default)
    {
        ITrainingDataset<TBatch> data = evalDataset
            ?? throw new InvalidOperationException("This TrainingLoop has no evaluation dataset.");
        TorchRuntime.EnsureInitialized();
        bool wasTraining = policy.IsTraining;
        policy.SetTrainingMode(false);
        var metrics = new MetricAggregator();
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            using var noGrad = no_grad();
            int batchSize = options.PerDeviceEvalBatchSize;
            for (int start = 0; start < data.Count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                int[] indices = [.. Enumerable.Range(start, Math.Min(batchSize, data.Count - start))];
                TBatch batch = data.Collate(indices);
                try
                {
                    ObjectiveOutput result = objective.ComputeLoss(policy, batch, training: false);

                    // Hugging Face weighs each batch's loss by its number of examples, so a short last batch counts less.
                    metrics.Add(MetricNames.Loss, ScalarLoss(result.Loss), indices.Length);
                    AddObjectiveMetrics(metrics, result, counts);
                }
                finally
                {
                    (batch as IDisposable)?.Dispose();
                }
            }
        }
        finally
        {
            policy.SetTrainingMode(wasTraining);
        }

        Dictionary<string, double> means = metrics.Means(MetricNames.EvalPrefix);
        foreach (var (name, total) in counts)
        {
            means[MetricNames.Eval(name)] = total;
        }

        objective.AddDerivedEvaluationMetrics(means);
        return means;
    }

    /// <summary>
    /// Frees the native memory of the step's unreachable TorchSharp objects now rather than whenever the GC next runs:
    /// they are young (generation 0), and their native blocks go back to the allocator only in their finalizers.
    /// </summary>
    private static void CollectStepGarbage()
    {
        GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    private StepOutcome TrainStep(
        long step,
        LearningRateSchedule schedule,
        List<(string Name, Parameter Parameter)> parameters,
        TrainingOptimizer optimizer,
        MetricAggregator window,
        Dictionary<string, double> counts)
    {
        using var scope = NewDisposeScope();

        // Reseeding at every step makes the random stream of step s (dropout) the same whether or not the run was
        // interrupted before it, on every device, without saving generator states.
        using (random.manual_seed(options.Seed + step))
        {
        }

        if (policy.Device.type == DeviceType.CUDA)
        {
            cuda.manual_seed_all(options.Seed + step);
        }

        double learningRate = options.LearningRate * schedule.Multiplier(step);
        optimizer.SetLearningRate(learningRate);

        IReadOnlyList<int[]> microBatches = plan.MicroBatchesOf(step);
        double loss = AccumulateGradients(
            policy, objective, microBatches.Count, i => trainDataset.Collate(microBatches[i]), parameters,
            result => AddObjectiveMetrics(window, result, counts), optimizer.LossScale);

        (double gradNorm, _) = optimizer.Step(step + 1, options.MaxGradNorm);
        return new StepOutcome(loss, gradNorm, learningRate);
    }

    /// <summary>
    /// Forward and backward over the micro-batches of one optimizer step, leaving in the gradients those of the step's
    /// loss, which it returns. Token-averaged objectives (<see cref="ObjectiveOutput.LossItems"/> set) are normalised by
    /// the items of the whole step (transformers' <c>num_items_in_batch</c>); other losses are averaged over the micro-batches.
    /// </summary>
    internal static double AccumulateGradients(
        IPolicyModel policy,
        ITrainingObjective<TBatch> objective,
        int microBatchCount,
        Func<int, TBatch> collate,
        IReadOnlyList<(string Name, Parameter Parameter)> parameters,
        Action<ObjectiveOutput>? observe = null,
        double lossScale = 1.0)
    {
        double lossSum = 0, items = 0;
        int itemised = 0;
        for (int i = 0; i < microBatchCount; i++)
        {
            using var microScope = NewDisposeScope();
            TBatch batch = collate(i);
            try
            {
                ObjectiveOutput result = objective.ComputeLoss(policy, batch, training: true);
                double loss = ScalarLoss(result.Loss);
                if (result.LossItems is double count)
                {
                    if (!(count >= 0) || !double.IsFinite(count))
                    {
                        throw new InvalidOperationException($"The objective reported LossItems {count}; it must be a finite number >= 0.");
                    }

                    // Back to the micro-batch's sum of item losses; the step's total divides the gradients below.
                    itemised++;
                    items += count;
                    lossSum += loss * count;
                    Backward(result.Loss * count, lossScale);
                }
                else
                {
                    // Dividing by the number of micro-batches makes the summed gradients those of the step's mean loss.
                    lossSum += loss;
                    Backward(result.Loss / microBatchCount, lossScale);
                }

                observe?.Invoke(result);
            }
            finally
            {
                (batch as IDisposable)?.Dispose();
            }
        }

        if (itemised == 0)
        {
            return lossSum / microBatchCount;
        }

        if (itemised != microBatchCount)
        {
            throw new InvalidOperationException("The objective set LossItems for some micro-batches of a step and not for others.");
        }

        if (items > 0)
        {
            using var noGrad = no_grad();
            foreach (var (_, parameter) in parameters)
            {
                parameter.grad?.div_(items);
            }
        }

        return items > 0 ? lossSum / items : 0;
    }

    private static void Backward(Tensor loss, double lossScale)
    {
        // float16 scales the loss up so small gradients survive; the optimizer unscales them before clipping.
        (lossScale != 1 ? loss * lossScale : loss).backward();
    }

    private void LogTraining(RunState run, MetricAggregator window, MetricsFile metricsFile)
    {
        Dictionary<string, double> means = window.Means();
        double loss = means[MetricNames.Loss];
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [MetricNames.Loss] = loss,
            [MetricNames.GradNorm] = run.LastGradNorm,
            [MetricNames.LearningRate] = run.LastLearningRate,
        };
        foreach (var (name, value) in means)
        {
            metrics.TryAdd(name, value);
        }

        foreach (var (name, total) in run.Counts)
        {
            metrics[name] = total;
        }

        double epoch = plan.EpochAfter(run.Step);
        metrics[MetricNames.Epoch] = epoch;
        window.Clear();
        run.LastMetrics = metrics;
        metricsFile.Append(run.Step, epoch, metrics);
        if (logger.IsEnabled(LogLevel.Information))
        {
            TrainingLog.StepLogged(logger, run.Step, plan.TotalSteps, epoch, loss, run.LastGradNorm, run.LastLearningRate, Format(metrics, skip: 3));
        }

        Notify(c => c.OnLog(Progress(run.Step), metrics));
    }

    private void EvaluateAndLog(RunState run, MetricsFile metricsFile, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, double> evaluation;
        try
        {
            evaluation = Evaluate(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // An evaluation cut short has no meaningful metrics; training stops at the top of the loop.
            return;
        }

        double epoch = plan.EpochAfter(run.Step);
        var metrics = new Dictionary<string, double>(evaluation, StringComparer.Ordinal) { [MetricNames.Epoch] = epoch };
        metricsFile.Append(run.Step, epoch, metrics);
        if (logger.IsEnabled(LogLevel.Information))
        {
            TrainingLog.Evaluated(logger, run.Step, Format(metrics, skip: 0));
        }

        Notify(c => c.OnLog(Progress(run.Step), metrics));
    }

    private void SaveCheckpoint(RunState run, List<(string Name, Parameter Parameter)> parameters, TrainingOptimizer optimizer, long warmup)
    {
        var state = new TrainerState
        {
            GlobalStep = run.Step,
            Epoch = plan.EpochAfter(run.Step),
            MaxSteps = plan.TotalSteps,
            DataEpoch = plan.EpochOf(run.Step),
            DataMicroBatch = plan.FirstMicroBatchOf(run.Step),
            TrainExamples = plan.ExampleCount,
            TrainBatchSize = plan.BatchSize,
            GradientAccumulationSteps = plan.Accumulation,
            Seed = options.Seed,
            LrSchedulerType = options.LrSchedulerType,
            WarmupSteps = warmup,
            LearningRate = options.LearningRate,
            ObjectiveState = objective is ICheckpointState stateful ? new Dictionary<string, double>(stateful.SaveState(), StringComparer.Ordinal) : [],
            LastLearningRate = run.LastLearningRate,
            Counts = new Dictionary<string, double>(run.Counts, StringComparer.Ordinal),
            LastMetrics = new Dictionary<string, double>(run.LastMetrics, StringComparer.Ordinal),
            TrainableParameters = [.. parameters.Select(p => p.Name)],
        };
        string path = CheckpointManager.Save(options.OutputDirectory, policy, parameters, optimizer, state, options);
        run.LastSavedStep = run.Step;
        run.LastCheckpoint = path;
        TrainingLog.CheckpointSaved(logger, path, run.Step);
        foreach (string removed in CheckpointManager.Rotate(options.OutputDirectory, options.SaveTotalLimit, path))
        {
            TrainingLog.CheckpointDeleted(logger, removed, options.SaveTotalLimit);
        }

        Notify(c => c.OnCheckpointSaved(Progress(run.Step), path));
    }

    private string? ResolveResume(string output)
    {
        string? requested = options.ResumeFromCheckpoint;
        if (requested is null)
        {
            return null;
        }

        if (string.Equals(requested.Trim(), "latest", StringComparison.OrdinalIgnoreCase))
        {
            string? latest = CheckpointManager.FindLatest(output);
            if (latest is null)
            {
                TrainingLog.NothingToResume(logger, output);
            }

            return latest;
        }

        if (!Directory.Exists(requested))
        {
            throw new InvalidOperationException($"ResumeFromCheckpoint '{requested}' does not exist.");
        }

        return requested;
    }

    private void Resume(string checkpoint, List<(string Name, Parameter Parameter)> parameters, TrainingOptimizer optimizer, RunState run, long warmup)
    {
        TrainerState state = CheckpointManager.ReadState(checkpoint);
        var changes = new List<string>();
        void Check<T>(string what, T saved, T current, bool known = true)
        {
            if (known && !EqualityComparer<T>.Default.Equals(saved, current))
            {
                changes.Add(string.Create(CultureInfo.InvariantCulture, $"{what} was {saved} and is now {current}"));
            }
        }

        // The trainable parameters must match whatever the options say: the optimizer state is laid out by them.
        string savedParameters = string.Join(",", state.TrainableParameters);
        string currentParameters = string.Join(",", parameters.Select(p => p.Name));
        if (savedParameters != currentParameters)
        {
            throw new InvalidOperationException(
                $"Cannot resume from {checkpoint}: the trainable parameters differ from the checkpoint's. Resume with the model setup of the run that wrote it.");
        }

        Check("the number of training examples", state.TrainExamples, plan.ExampleCount);
        Check("PerDeviceTrainBatchSize", state.TrainBatchSize, plan.BatchSize);
        Check("GradientAccumulationSteps", state.GradientAccumulationSteps, plan.Accumulation);
        Check("Seed", state.Seed, options.Seed);
        Check("the total steps (MaxSteps or NumTrainEpochs)", state.MaxSteps, plan.TotalSteps);
        Check("LrSchedulerType", state.LrSchedulerType, options.LrSchedulerType);
        Check("the warmup steps (WarmupSteps or WarmupRatio)", state.WarmupSteps, warmup);
        Check("LearningRate", state.LearningRate, options.LearningRate, known: state.LearningRate > 0);
        if (changes.Count > 0)
        {
            if (!options.ResumeWithChangedSettings)
            {
                throw new InvalidOperationException(
                    $"Cannot resume exactly from {checkpoint}: {string.Join("; ", changes)}. Use the settings of the run that wrote it, " +
                    "set ResumeWithChangedSettings to continue anyway (the schedule and data order then follow the new settings), or start a new run.");
            }

            foreach (string change in changes)
            {
                TrainingLog.ResumeSettingChanged(logger, checkpoint, change);
            }
        }

        if (objective is ICheckpointState stateful)
        {
            stateful.LoadState(state.ObjectiveState);
        }

        CheckpointManager.LoadParameters(checkpoint, policy, parameters);
        CheckpointManager.LoadOptimizer(checkpoint, optimizer);
        optimizer.CopyMastersToModel();
        run.Step = state.GlobalStep;
        run.LastSavedStep = state.GlobalStep;
        run.LastCheckpoint = Path.GetFullPath(checkpoint);
        run.LastLearningRate = state.LastLearningRate;
        run.LastMetrics = state.LastMetrics;
        foreach (var (name, total) in state.Counts)
        {
            run.Counts[name] = total;
        }
    }

    private static void AddObjectiveMetrics(MetricAggregator aggregator, ObjectiveOutput result, Dictionary<string, double> counts)
    {
        ArgumentNullException.ThrowIfNull(result.Metrics);
        foreach (var (name, value) in result.Metrics)
        {
            if (name is MetricNames.Loss or MetricNames.GradNorm or MetricNames.LearningRate or MetricNames.Epoch)
            {
                throw new InvalidOperationException($"The objective reported metric '{name}', which the training loop computes itself.");
            }

            aggregator.Add(name, value, result.Weight);
        }

        if (result.Counts is not null)
        {
            foreach (var (name, value) in result.Counts)
            {
                counts[name] = counts.GetValueOrDefault(name) + value;
            }
        }
    }

    private static double ScalarLoss(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.numel() != 1)
        {
            throw new InvalidOperationException($"The objective's loss must be a scalar; got shape [{string.Join(", ", loss.shape)}].");
        }

        return loss.detach().to(ScalarType.Float64).item<double>();
    }

    private static void DropGradients(List<(string Name, Parameter Parameter)> parameters)
    {
        // Set to none rather than zeroed, as PyTorch's zero_grad does by default: it frees the memory between steps and
        // makes the next backward write fresh gradients, exactly as on the first step of a resumed run.
        foreach (var (_, parameter) in parameters)
        {
            parameter.grad = null;
        }
    }

    private static string Format(Dictionary<string, double> metrics, int skip)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in metrics.Skip(skip))
        {
            if (name == MetricNames.Epoch)
            {
                continue;
            }

            text.Append(text.Length == 0 ? "" : " ").Append(name).Append(' ').Append(value.ToString("G6", CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static TrainingOptions Validated(TrainingOptions options, ITrainingDataset<TBatch> trainDataset, ITrainingDataset<TBatch>? evalDataset)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(trainDataset);
        var failures = new List<string>();
        TrainingOptionsValidator.AddFailures(options, failures);
        if (options.EvalSteps > 0 && evalDataset is null)
        {
            failures.Add($"EvalSteps is {options.EvalSteps} but no evaluation dataset was given.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, options.GetType(), failures);
        }

        if (trainDataset.Count <= 0)
        {
            throw new ArgumentException("The training dataset is empty.", nameof(trainDataset));
        }

        return options;
    }

    private TrainingProgress Progress(long step) => new(step, plan.TotalSteps, plan.EpochAfter(step));

    private void Notify(Action<ITrainingCallback> call)
    {
        foreach (ITrainingCallback callback in callbacks)
        {
            call(callback);
        }
    }

    private readonly record struct StepOutcome(double Loss, double GradNorm, double LearningRate);

    private sealed class RunState
    {
        public long Step { get; set; }

        public long LastSavedStep { get; set; } = -1;

        public string? LastCheckpoint { get; set; }

        public double LastLearningRate { get; set; }

        public double LastGradNorm { get; set; }

        public Dictionary<string, double> Counts { get; } = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, double> LastMetrics { get; set; } = new Dictionary<string, double>();
    }
}
