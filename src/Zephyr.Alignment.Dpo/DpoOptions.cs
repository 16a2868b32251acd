using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Dpo;

/// <summary>
/// Options of <see cref="DpoTrainer"/>, named after TRL's <c>DPOConfig</c> and grouped as model, data, loss, reference
/// and training. Defaults are the Zephyr-7B-β dDPO recipe (the alignment handbook's
/// <c>recipes/zephyr-7b-beta/dpo/config_full.yaml</c>): β 0.01, learning rate 5e-7, cosine schedule, warmup ratio 0.1,
/// one epoch, max length 1024, max prompt length 512, loss <c>sigmoid</c>. The paper's original run used β 0.1 and 3 epochs.
/// </summary>
/// <remarks>
/// The training-loop options (<see cref="TrainingOptions"/>) keep their defaults except <see cref="TrainingOptions.LearningRate"/>,
/// which is 5e-7 here. Check an instance with <see cref="DpoOptionsValidator"/>; <c>AddDpo</c> does so at start-up.
/// </remarks>
public class DpoOptions : TrainingOptions
{
    /// <summary>Creates options with the recipe's defaults; the learning rate is 5e-7 (the recipe's dDPO rate).</summary>
    public DpoOptions()
    {
        LearningRate = 5e-7;
    }

    // ---- Model ----

    /// <summary>
    /// The checkpoint folder of the policy's starting point, the dSFT model (<c>model_name_or_path</c>); it also provides
    /// the tokenizer and, unless <see cref="ReferenceModelPath"/> is set, the reference. Required when the trainer loads
    /// the models itself (as <c>AddDpo</c> does). Default: <see langword="null"/>.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// The reference model's checkpoint folder (<c>ref_model</c>). Default: <see langword="null"/>, the same checkpoint as
    /// <see cref="ModelPath"/>, as in the recipe, where the dSFT model is both the starting point and the frozen reference.
    /// Not allowed with <see cref="TrainingOptions.UsePeft"/>: the reference is then the policy with its adapters disabled.
    /// </summary>
    public string? ReferenceModelPath { get; set; }

    /// <summary>
    /// The chat template that renders conversational prompts, by registered name (<c>zephyr</c>, <c>chatml</c>, …; see
    /// <see cref="ChatTemplates"/>). Default: <see langword="null"/>: the template of the checkpoint's
    /// <c>tokenizer_config.json</c> when it is one the library recognises, otherwise <c>zephyr</c>.
    /// </summary>
    public string? ChatTemplate { get; set; }

    // ---- Data ----

    /// <summary>
    /// The training preference file: Parquet or JSON Lines, in the <c>ultrafeedback_binarized</c> schema or the plain
    /// <c>{prompt, chosen, rejected}</c> form (see docs/datasets.md). Required when the trainer loads the data itself.
    /// Default: <see langword="null"/>.
    /// </summary>
    public string? TrainFile { get; set; }

    /// <summary>
    /// The evaluation preference file (e.g. <c>test_prefs</c>), same formats; needed for <see cref="TrainingOptions.EvalSteps"/>
    /// and <see cref="DpoTrainer.EvaluateAsync"/>. Default: <see langword="null"/> (no evaluation).
    /// </summary>
    public string? EvalFile { get; set; }

    /// <summary>
    /// What to do with a malformed row: throw (naming the file and row or line) or skip it and report the count.
    /// Default: <see cref="InvalidRowHandling.Throw"/>.
    /// </summary>
    public InvalidRowHandling InvalidRows { get; set; } = InvalidRowHandling.Throw;

    /// <summary>
    /// Maximum tokens of prompt + completion (<c>max_length</c>), for each of prompt+chosen and prompt+rejected.
    /// Default: 1024 (the recipe). Must exceed <see cref="MaxPromptLength"/>.
    /// </summary>
    public int MaxLength { get; set; } = 1024;

    /// <summary>Maximum prompt tokens kept when a pair is too long (<c>max_prompt_length</c>). Default: 512 (the recipe).</summary>
    public int MaxPromptLength { get; set; } = 512;

    /// <summary>
    /// Which prompt tokens survive truncation (<c>truncation_mode</c>): the end (next to the answer) or the start.
    /// Default: <see cref="Zephyr.Alignment.Data.TruncationMode.KeepEnd"/> (TRL's <c>keep_end</c>).
    /// </summary>
    public TruncationMode TruncationMode { get; set; } = TruncationMode.KeepEnd;

    // ---- Loss ----

    /// <summary>
    /// β (<c>beta</c>): the strength of the implicit KL penalty toward the reference, and the scale of the rewards
    /// β·(log π − log π_ref). Default: 0.01 (the Zephyr-7B-β recipe; the paper's first run used 0.1, TRL's default).
    /// </summary>
    public double Beta { get; set; } = 0.01;

    /// <summary>
    /// The loss type or types (<c>loss_type</c>), by TRL name: <c>sigmoid</c>, <c>hinge</c>, <c>ipo</c>, <c>robust</c>, …
    /// (see <see cref="DpoLosses.Names"/>); several are combined with <see cref="LossWeights"/> (e.g. <c>[sigmoid, sft]</c> is RPO).
    /// Default: <see langword="null"/>, which means <c>[sigmoid]</c> (DPO, the recipe). A list, not a default value, because the
    /// configuration binder appends to a list that already has items.
    /// </summary>
    public IList<string>? LossType { get; set; }

    /// <summary>
    /// One weight per <see cref="LossType"/> entry (<c>loss_weights</c>). Default: <see langword="null"/> (every weight 1.0).
    /// </summary>
    public IList<double>? LossWeights { get; set; }

    /// <summary>
    /// Label smoothing ε (<c>label_smoothing</c>): the assumed probability that a preference label is flipped, read by the
    /// <c>robust</c>, <c>exo_pair</c>, <c>aot</c> and <c>aot_unpaired</c> losses (and by legacy <c>sigmoid</c>, conservative
    /// DPO). In [0, 0.5). Default: 0. A nonzero value with only loss types that ignore it is a validation error, never
    /// silently dropped (current TRL's <c>sigmoid</c> ignores it: use <c>robust</c>, or <see cref="LegacyLosses"/> for cDPO).
    /// </summary>
    public double LabelSmoothing { get; set; }

    /// <summary>
    /// Compute the losses as the TRL releases of the Zephyr era did (≤ 0.28: label smoothing on <c>sigmoid</c>, per-token
    /// IPO, bco_pair's running mean; see <see cref="DpoLosses.CreateLegacy(IReadOnlyList{string}, IReadOnlyList{double}?, double, double, double, double?)"/>).
    /// Default: <see langword="false"/> (current TRL).
    /// </summary>
    public bool LegacyLosses { get; set; }

    /// <summary>
    /// Switch the policy's dropout off for training (<c>disable_dropout</c>), as TRL does by default: with dropout the
    /// policy's log-probs are noisy while the reference's are not, which biases the rewards. The policy stays in training
    /// mode and gets its dropout back when training ends; it needs <see cref="IConfigurableDropout"/> (the Llama/Mistral
    /// models have it; for others a Warning says dropout stays as it is). Default: <see langword="true"/>.
    /// </summary>
    public bool DisableDropout { get; set; } = true;

    // ---- Reference ----

    /// <summary>
    /// Where the frozen reference runs: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>, independent of the policy's device.
    /// Default: <see langword="null"/>, the policy's device. Asking for CUDA on a machine without it fails at start-up,
    /// or falls back to the CPU with a warning when the device options allow it (<c>AllowCpuFallback</c>).
    /// </summary>
    public string? ReferenceDevice { get; set; }

    /// <summary>
    /// The reference's parameter dtype: <c>float32</c>, <c>bfloat16</c> or <c>float16</c>. Default: <see langword="null"/>,
    /// the policy's dtype. Its log-probs are computed in float32 whatever the dtype, then moved to the policy's device.
    /// </summary>
    public string? ReferenceDType { get; set; }

    /// <summary>
    /// Run the reference once over the training (and evaluation) data before training and keep its log-probs, then
    /// release the reference model (<c>precompute_ref_log_probs</c>): one model in memory during training instead of two.
    /// Default: <see langword="false"/> (TRL's default: the reference runs beside the policy at every step).
    /// </summary>
    public bool PrecomputeRefLogProbs { get; set; }

    /// <summary>
    /// Pairs per forward pass of the precompute pass (<c>precompute_ref_batch_size</c>). Default: <see langword="null"/>,
    /// <see cref="TrainingOptions.PerDeviceEvalBatchSize"/>.
    /// </summary>
    public int? PrecomputeRefBatchSize { get; set; }

    /// <summary>
    /// A folder for the precomputed reference log-probs, one file per dataset named by a fingerprint of the tokenized data,
    /// the tokenization settings, the batching and row layout, and the reference's configuration and weights; a later run with the same fingerprint reads the file instead
    /// of running the reference. Default: <see langword="null"/> (kept in memory only).
    /// </summary>
    public string? RefLogProbsCacheDirectory { get; set; }

    // ---- Speed ----

    /// <summary>
    /// Compute each pair's prompt once (<c>prefix_sharing</c>, Wang et al. 2024): the pair becomes one
    /// <c>[prompt; chosen; rejected]</c> row whose rejected tokens cannot see the chosen ones, instead of two rows that
    /// both hold the prompt. The decoder layers then process P + Cc + Cr tokens per pair instead of 2P + Cc + Cr, in the
    /// policy, in the live reference and in the pass of <see cref="PrecomputeRefLogProbs"/>; log-probs, losses, gradients
    /// and metrics are those of the unshared rows within float rounding. Every loss type works with it. Where it cannot be
    /// exact (a sliding window shorter than the packed row, a model that does not report its <see cref="IAttentionLayout"/>,
    /// a custom reference) that model computes the unshared rows and a Warning says so. Default: <see langword="true"/>,
    /// because it measured faster on <c>bench-small</c> (benchmarks/README.md); set it to <see langword="false"/> for
    /// TRL's two-row layout.
    /// </summary>
    public bool PrefixSharing { get; set; } = true;

    /// <summary>The loss types in effect: <see cref="LossType"/>, or <c>[sigmoid]</c> when it is null or empty.</summary>
    public IReadOnlyList<string> EffectiveLossTypes => LossType is { Count: > 0 } types ? [.. types] : [DpoLossNames.Sigmoid];
}
