namespace Zephyr.Alignment.Training;

/// <summary>
/// Hyperparameters of the shared training loop, named after Hugging Face's <c>TrainingArguments</c> (which TRL's
/// <c>SFTConfig</c> and <c>DPOConfig</c> extend). Defaults follow the Zephyr recipe where it fixes a value (cosine
/// schedule, warmup ratio 0.1, one epoch, seed 42, no weight decay) and Hugging Face otherwise.
/// </summary>
/// <remarks>
/// Stage options (SFT, DPO) derive from this class, as TRL's configs derive from <c>TrainingArguments</c>, and set the
/// learning rate of their stage. Check an instance with <see cref="TrainingOptionsValidator"/>.
/// </remarks>
public partial class TrainingOptions
{
    /// <summary>
    /// Folder that receives <c>metrics.jsonl</c> and the <c>checkpoint-{step}/</c> folders (<c>output_dir</c>).
    /// Default: <c>output</c>, relative to the working directory.
    /// </summary>
    public string OutputDirectory { get; set; } = "output";

    /// <summary>
    /// Peak learning rate of AdamW (<c>learning_rate</c>). Default: 5e-5 (Hugging Face); the recipe sets 2e-5 for dSFT
    /// and 5e-7 for dDPO through the stage options.
    /// </summary>
    public double LearningRate { get; set; } = 5e-5;

    /// <summary>
    /// Schedule of the learning rate (<c>lr_scheduler_type</c>): <c>linear</c>, <c>cosine</c>, <c>constant</c> or
    /// <c>constant_with_warmup</c> (see <see cref="LrSchedulerTypes"/>). Default: <c>cosine</c> (the recipe).
    /// </summary>
    public string LrSchedulerType { get; set; } = LrSchedulerTypes.Cosine;

    /// <summary>
    /// Fraction of the optimizer steps spent warming the learning rate up from 0 (<c>warmup_ratio</c>), rounded up to
    /// whole steps. Default: 0.1 (the recipe). Ignored when <see cref="WarmupSteps"/> is positive.
    /// </summary>
    public double WarmupRatio { get; set; } = 0.1;

    /// <summary>Warmup length in optimizer steps (<c>warmup_steps</c>); overrides <see cref="WarmupRatio"/> when positive. Default: 0.</summary>
    public int WarmupSteps { get; set; }

    /// <summary>Passes over the training data (<c>num_train_epochs</c>); may be fractional. Default: 1 (the recipe).</summary>
    public double NumTrainEpochs { get; set; } = 1;

    /// <summary>
    /// Total optimizer steps (<c>max_steps</c>); when positive it overrides <see cref="NumTrainEpochs"/> and the data is
    /// reshuffled and reused as often as needed. Default: -1 (train for <see cref="NumTrainEpochs"/>).
    /// </summary>
    public int MaxSteps { get; set; } = -1;

    /// <summary>Examples per training micro-batch (<c>per_device_train_batch_size</c>). Default: 8 (Hugging Face).</summary>
    public int PerDeviceTrainBatchSize { get; set; } = 8;

    /// <summary>Examples per evaluation batch (<c>per_device_eval_batch_size</c>). Default: 8 (Hugging Face).</summary>
    public int PerDeviceEvalBatchSize { get; set; } = 8;

    /// <summary>
    /// Micro-batches whose gradients are summed (each loss divided by their number, or a token-averaged loss by the
    /// step's tokens, see <see cref="ObjectiveOutput.LossItems"/>) before one optimizer step
    /// (<c>gradient_accumulation_steps</c>). Default: 1. The recipe's effective batch of 128 is
    /// <see cref="PerDeviceTrainBatchSize"/> × this value × the number of devices.
    /// </summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Global L2 norm the gradients are clipped to before each step (<c>max_grad_norm</c>); 0 disables clipping. Default: 1.0.</summary>
    public double MaxGradNorm { get; set; } = 1.0;

    /// <summary>
    /// Decoupled AdamW weight decay (<c>weight_decay</c>), applied, as in Hugging Face, to matrices only, never to
    /// norms or biases. Default: 0 (the recipe).
    /// </summary>
    public double WeightDecay { get; set; }

    /// <summary>AdamW β₁ (<c>adam_beta1</c>). Default: 0.9.</summary>
    public double AdamBeta1 { get; set; } = 0.9;

    /// <summary>AdamW β₂ (<c>adam_beta2</c>). Default: 0.999.</summary>
    public double AdamBeta2 { get; set; } = 0.999;

    /// <summary>AdamW ε (<c>adam_epsilon</c>). Default: 1e-8.</summary>
    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>
    /// Mixed precision in bfloat16 (<c>bf16</c>): the policy runs its forward and backward passes in bfloat16 while the
    /// optimizer keeps float32 master copies of the trainable weights, updates those, and copies them back. A float32
    /// policy is converted to bfloat16 when training starts (its float32 weights become the masters exactly). Losses and
    /// log-probabilities stay in float32. Default: <see langword="false"/>; the recipe sets it.
    /// </summary>
    /// <remarks>
    /// A policy whose weights are already bfloat16 or float16 always trains with float32 masters, with or without this
    /// flag: updating half-precision weights directly rounds the recipe's small steps away. See <c>docs/precision.md</c>.
    /// </remarks>
    public bool Bf16 { get; set; }

    /// <summary>
    /// Mixed precision in float16 (<c>fp16</c>): as <see cref="Bf16"/>, plus dynamic loss scaling as PyTorch's
    /// <c>GradScaler</c> does it (initial scale 2^16, halved and the step skipped with a warning when a gradient is inf or
    /// NaN, doubled after 2,000 clean steps). Default: <see langword="false"/>. Prefer <see cref="Bf16"/> where the hardware has it.
    /// </summary>
    public bool Fp16 { get; set; }

    /// <summary>
    /// Recomputes each decoder layer's activations during the backward pass instead of keeping them
    /// (<c>gradient_checkpointing</c>): activation memory drops from every layer's intermediates to one hidden state per
    /// layer, for about one more forward pass of compute. Gradients are identical. The policy must support it
    /// (<see cref="IGradientCheckpointing"/>); otherwise training refuses to start. Default: <see langword="false"/>; the recipe sets it.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Optimizer steps between two collections of the step's garbage (<c>garbage_collection_steps</c>): a generation-0
    /// collection followed by waiting for pending finalizers. TorchSharp frees the native part of some per-step objects
    /// (the <c>Scalar</c> of each number passed to a tensor operation, custom autograd nodes) only in their finalizers,
    /// and a step allocates too little managed memory for the GC to run on its own for tens of steps. Until it does, the
    /// native heap grows around those blocks: resident memory of the <c>bench-small</c> DPO step climbed by about 280 MB
    /// over its first 50 steps and stayed there, against flat from step 6 with this collection (see
    /// <c>docs/troubleshooting.md</c>). A collection costs about a millisecond. Set 0 when other threads of the process
    /// run torch operations during training: TorchSharp 0.107 passes some temporary <c>Scalar</c>s by raw handle, and a
    /// collection during such a call on another thread can free one mid-call (see the same page).
    /// 0 turns it off. Default: 1 (after every step).
    /// </summary>
    public int GarbageCollectionSteps { get; set; } = 1;

    /// <summary>
    /// Seed of everything random in training (<c>seed</c>): the shuffle of each epoch (seed + epoch) and torch's
    /// generator at each optimizer step (seed + step, so dropout is reproducible and resumable). Default: 42 (the recipe).
    /// </summary>
    public long Seed { get; set; } = 42;

    /// <summary>Optimizer steps between two training logs (<c>logging_steps</c>); metrics are averaged over them. Default: 10 (the alignment handbook's DPO recipe).</summary>
    public int LoggingSteps { get; set; } = 10;

    /// <summary>Optimizer steps between two evaluations (<c>eval_steps</c>); 0 turns periodic evaluation off. Default: 0.</summary>
    public int EvalSteps { get; set; }

    /// <summary>
    /// Optimizer steps between two checkpoints (<c>save_steps</c>); 0 saves only the final one. A checkpoint is also
    /// written when training ends or is cancelled. Default: 100 (the alignment handbook).
    /// </summary>
    public int SaveSteps { get; set; } = 100;

    /// <summary>Checkpoints kept in <see cref="OutputDirectory"/>, newest first (<c>save_total_limit</c>); 0 keeps all. Default: 1 (the alignment handbook).</summary>
    public int SaveTotalLimit { get; set; } = 1;

    /// <summary>
    /// A checkpoint folder to resume from, or <c>latest</c> for the newest complete checkpoint in
    /// <see cref="OutputDirectory"/> (training starts fresh when there is none) (<c>resume_from_checkpoint</c>).
    /// Default: <see langword="null"/> (start fresh).
    /// </summary>
    public string? ResumeFromCheckpoint { get; set; }

    /// <summary>
    /// Lets a fresh run replace the output of an earlier run in <see cref="OutputDirectory"/> (<c>overwrite_output_dir</c>):
    /// its checkpoints, <c>metrics.jsonl</c> and trained model are deleted before training starts. Without it, a fresh
    /// run into a folder that holds them fails with an <see cref="OutputDirectoryInUseException"/> naming them, as
    /// Hugging Face's scripts do; see <see cref="OutputDirectoryGuard"/>. Default: false.
    /// </summary>
    public bool OverwriteOutputDirectory { get; set; }

    /// <summary>
    /// Lets a resume go on when the run's settings differ from the checkpoint's: the total steps (<see cref="MaxSteps"/>
    /// or the epochs), <see cref="LrSchedulerType"/>, the warmup, <see cref="LearningRate"/>, or the batch layout
    /// (<see cref="PerDeviceTrainBatchSize"/>, <see cref="GradientAccumulationSteps"/>, the number of training examples,
    /// <see cref="Seed"/>). Each difference is then logged at Warning; the schedule is recomputed for the new settings
    /// from the checkpoint's step on, and the data order follows the new layout, so the run no longer matches an
    /// uninterrupted one. Without it such a resume is refused with the differences named. The trainable parameters must
    /// match either way. Default: false.
    /// </summary>
    public bool ResumeWithChangedSettings { get; set; }
}
