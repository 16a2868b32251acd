using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Training;

/// <summary>
/// The optimizer of the training loop: AdamW with Hugging Face's parameter groups, global-norm clipping and, whenever
/// a trainable parameter is bfloat16 or float16, float32 master weights (mixed precision as DeepSpeed's bf16 mode and
/// apex O2 keep it), plus dynamic loss scaling for float16.
/// </summary>
/// <remarks>
/// <para>
/// Why masters: AdamW's step is about the learning rate per element, and a bfloat16 weight of 0.02 has a spacing of
/// 1.2e-4, so the recipe's steps (5e-7 for dDPO, 2e-5 for dSFT) would round away and the run would train nothing.
/// </para>
/// <para>
/// Where they live: one float32 copy per half-precision trainable tensor, on that tensor's device, owned here. A
/// float32 trainable tensor (a LoRA adapter created in float32, as PEFT's <c>autocast_adapter_dtype</c> does, or a
/// whole float32 model) is its own master and is updated in place. AdamW's moments are float32 because they follow
/// the tensors it updates. Per trainable parameter that is 2 (weight) + 2 (gradient) + 4 (master) + 8 (moments) = 16
/// bytes during the backward pass in bf16 (18 at the step, when the gradients are float32), against 16 in float32
/// (4 + 4 + 8): mixed precision saves activation memory and time, not optimizer memory.
/// </para>
/// <para>
/// One step: the half-precision gradients are widened into the masters' gradients (and released), unscaled for
/// float16, clipped by their float32 global norm, AdamW updates the masters, and the masters are rounded back into
/// the model (round to nearest even). A float32 model takes exactly the steps it took before masters existed.
/// </para>
/// </remarks>
internal sealed class TrainingOptimizer : IDisposable
{
    private readonly Slot[] slots;
    private readonly Parameter[] updated;
    private readonly AdamW adamW;
    private readonly ILogger logger;

    internal TrainingOptimizer(IReadOnlyList<(string Name, Parameter Parameter)> parameters, TrainingOptions options, IReadOnlyDictionary<string, Tensor>? initialMasters, ILogger logger)
    {
        this.logger = logger;
        slots = new Slot[parameters.Count];
        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                var (name, parameter) = parameters[i];
                Parameter? master = null;
                if (IsHalf(parameter.dtype))
                {
                    // Exact float32 values when the caller had them (a float32 model converted at start), else the widened weights.
                    Tensor source = initialMasters is not null && initialMasters.TryGetValue(name, out Tensor? exact) ? exact : parameter;
                    master = new Parameter(source.detach().to(ScalarType.Float32, parameter.device, copy: true), requires_grad: true);
                }

                slots[i] = new Slot(name, parameter, master);
            }
        }

        updated = [.. slots.Select(s => s.Updated)];
        Masters = [.. slots.Where(s => s.Master is not null).Select(s => (s.Name, s.Master!))];
        Scaler = slots.Any(s => s.Parameter.dtype == ScalarType.Float16) ? new LossScaler() : null;

        // As Hugging Face does, weight decay applies to matrices only: decaying norm gains and biases toward 0 hurts.
        // Both groups always exist, so the optimizer state has the same layout whatever the weight decay.
        var decay = updated.Where(p => p.dim() >= 2).ToList();
        var noDecay = updated.Where(p => p.dim() < 2).ToList();
        var groups = new List<AdamW.ParamGroup>
        {
            new(decay, options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay),
            new(noDecay, options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, weight_decay: 0),
        };
        adamW = optim.AdamW(groups, options.LearningRate, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay);
    }

    /// <summary>The float32 masters of the half-precision trainable parameters, named as those; empty for a float32 model.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Masters { get; }

    /// <summary>The loss scaler of a float16 model; null otherwise.</summary>
    public LossScaler? Scaler { get; }

    /// <summary>The factor the loop multiplies each loss by before its backward pass (1 unless float16).</summary>
    public double LossScale => Scaler?.Scale ?? 1.0;

    /// <summary>
    /// Applies <see cref="TrainingOptions.Bf16"/> / <see cref="TrainingOptions.Fp16"/> to <paramref name="policy"/>
    /// (converting it when its dtype differs) and creates the optimizer over its trainable parameters.
    /// </summary>
    /// <exception cref="InvalidOperationException">The precision option contradicts the policy's half-precision dtype, or nothing is trainable.</exception>
    public static TrainingOptimizer Create(IPolicyModel policy, TrainingOptions options, ILogger logger)
    {
        ScalarType? requested = options.Bf16 ? ScalarType.BFloat16 : options.Fp16 ? ScalarType.Float16 : null;
        Dictionary<string, Tensor>? exact = null;
        try
        {
            if (requested is { } target && policy.DType != target)
            {
                if (IsHalf(policy.DType))
                {
                    throw new InvalidOperationException(
                        $"{(options.Bf16 ? "Bf16" : "Fp16")} is set but the policy's weights are {TorchDevices.DTypeName(policy.DType)}; " +
                        "load the policy in float32 or in the requested type.");
                }

                // Keep the float32 weights as the masters: converting first would round them to 8 bits of mantissa.
                using (no_grad())
                {
                    exact = policy.NamedTrainableParameters()
                        .Where(p => p.Parameter.is_floating_point())
                        .ToDictionary(p => p.Name, p => p.Parameter.detach().to(ScalarType.Float32, copy: true).DetachFromDisposeScope(), StringComparer.Ordinal);
                }

                PrecisionLog.Converted(logger, TorchDevices.DTypeName(policy.DType), TorchDevices.DTypeName(target));
                policy.MoveTo(policy.Device, target);
            }

            var parameters = policy.NamedTrainableParameters().ToList();
            if (parameters.Count == 0)
            {
                throw new InvalidOperationException("The policy has no trainable parameters.");
            }

            var optimizer = new TrainingOptimizer(parameters, options, exact, logger);
            if (optimizer.Masters.Count > 0)
            {
                long elements = optimizer.Masters.Sum(m => m.Parameter.numel());
                PrecisionLog.MastersCreated(
                    logger, TorchDevices.DTypeName(policy.DType), optimizer.Masters.Count, parameters.Count, elements * 4 / (1024.0 * 1024.0), policy.Device.ToString(), optimizer.Scaler is not null);
            }

            return optimizer;
        }
        finally
        {
            if (exact is not null)
            {
                foreach (Tensor copy in exact.Values)
                {
                    copy.Dispose();
                }
            }
        }
    }

    /// <summary>The model's trainable parameters, in order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> Parameters => slots.Select(s => (s.Name, s.Parameter));

    /// <summary>Sets the learning rate of every parameter group.</summary>
    public void SetLearningRate(double learningRate)
    {
        foreach (optim.ILearningRateController group in adamW.ParamGroups)
        {
            group.LearningRate = learningRate;
        }
    }

    /// <summary>
    /// Takes one optimizer step from the gradients the backward passes left on the model's parameters, then drops
    /// every gradient. Returns the global gradient norm before clipping (of the unscaled float32 gradients) and
    /// whether the step was skipped (float16 only: an inf or NaN gradient).
    /// </summary>
    /// <param name="step">The 1-based step number, for the log.</param>
    /// <param name="maxGradNorm">The clipping limit; 0 measures without clipping.</param>
    public (double GradNorm, bool Skipped) Step(long step, double maxGradNorm)
    {
        using var scope = NewDisposeScope();
        foreach (Slot slot in slots)
        {
            if (slot.Master is { } master)
            {
                // The half-precision gradient is widened and released at once, so both never coexist for long.
                Tensor? low = slot.Parameter.grad;
                master.grad = low?.to(ScalarType.Float32);
                slot.Parameter.grad = null;
            }
        }

        if (Scaler is { } scaler)
        {
            using (no_grad())
            {
                foreach (Parameter parameter in updated)
                {
                    parameter.grad?.mul_(1.0 / scaler.Scale);
                }
            }
        }

        // clip_grad_norm_ returns the norm before clipping; an infinite limit measures without changing the gradients.
        double gradNorm = nn.utils.clip_grad_norm_(updated, maxGradNorm > 0 ? maxGradNorm : double.PositiveInfinity);
        bool skipped = false;
        if (Scaler is { } lossScaler)
        {
            // Any inf or NaN gradient makes the global norm non-finite: GradScaler's found_inf, without a second pass.
            skipped = !double.IsFinite(gradNorm);
            lossScaler.Update(skipped);
            if (skipped)
            {
                PrecisionLog.StepSkipped(logger, step, gradNorm, lossScaler.Scale);
            }
        }

        if (!skipped)
        {
            adamW.step();
            CopyMastersToModel();
        }

        foreach (Parameter parameter in updated)
        {
            parameter.grad = null;
        }

        return (gradNorm, skipped);
    }

    /// <summary>Rounds every master into its model parameter (after a step, and after a resume).</summary>
    public void CopyMastersToModel()
    {
        using var noGrad = no_grad();
        foreach (Slot slot in slots)
        {
            if (slot.Master is { } master)
            {
                slot.Parameter.copy_(master);
            }
        }
    }

    /// <summary>Writes AdamW's state (per updated tensor: step, moments; per group: hyperparameters).</summary>
    public void SaveState(BinaryWriter writer) => adamW.save_state_dict(writer);

    /// <summary>Restores AdamW's state written by <see cref="SaveState"/>.</summary>
    public void LoadState(BinaryReader reader) => adamW.load_state_dict(reader);

    /// <inheritdoc />
    public void Dispose()
    {
        adamW.Dispose();
        foreach (Slot slot in slots)
        {
            slot.Master?.Dispose();
        }
    }

    private static bool IsHalf(ScalarType type) => type is ScalarType.BFloat16 or ScalarType.Float16;

    /// <summary>A trainable parameter and, when it is half precision, its float32 master.</summary>
    private sealed record Slot(string Name, Parameter Parameter, Parameter? Master)
    {
        /// <summary>The tensor AdamW updates: the master, or the parameter itself.</summary>
        public Parameter Updated => Master ?? Parameter;
    }
}
