using Zephyr.Alignment.Lora;

namespace Zephyr.Alignment.Training;

/// <summary>LoRA options, named as TRL's <c>ModelConfig</c> names them (<c>use_peft</c>, <c>lora_r</c>, …) and defaulted as it does.</summary>
public partial class TrainingOptions
{
    /// <summary>
    /// Train LoRA adapters instead of every weight (TRL <c>use_peft</c>): the base weights are frozen, only the adapters
    /// train and get optimizer state, checkpoints hold the adapters, and the final output is a PEFT adapter folder
    /// (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>). In DPO the reference becomes the policy with its
    /// adapters disabled, so no second model is loaded. Default false.
    /// </summary>
    public bool UsePeft { get; set; }

    /// <summary>The LoRA rank <c>r</c> (TRL <c>lora_r</c>). Default 16.</summary>
    public int LoraR { get; set; } = 16;

    /// <summary>LoRA's <c>lora_alpha</c>: the adapter's output is scaled by <c>lora_alpha / r</c>. Default 32.</summary>
    public int LoraAlpha { get; set; } = 32;

    /// <summary>Dropout on the adapters' input during training (TRL <c>lora_dropout</c>). Default 0.05.</summary>
    public double LoraDropout { get; set; } = 0.05;

    /// <summary>
    /// Modules that get adapters (TRL <c>lora_target_modules</c>), by PEFT's names: <c>q_proj</c>, <c>k_proj</c>,
    /// <c>v_proj</c>, <c>o_proj</c>, <c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>, or the single entry
    /// <c>all-linear</c>. Default null: PEFT's default for Llama and Mistral, <c>q_proj</c> and <c>v_proj</c>.
    /// </summary>
    public IList<string>? LoraTargetModules { get; set; }

    /// <summary>Scale the adapters by <c>lora_alpha / √r</c> (rank-stabilized LoRA, Kalajdzievski 2023; TRL <c>use_rslora</c>). Default false.</summary>
    public bool UseRslora { get; set; }

    /// <summary>
    /// A PEFT adapter folder to continue training instead of fresh adapters; its own <c>adapter_config.json</c> decides
    /// the rank, alpha, dropout and targets (differing <c>Lora*</c> options are logged as a warning). Needs
    /// <see cref="UsePeft"/>. Default null.
    /// </summary>
    public string? LoraAdapterPath { get; set; }

    /// <summary>
    /// With <see cref="UsePeft"/>, also write the base model with the trained adapters merged in
    /// (<c>W + scaling · B A</c>) as an ordinary Hugging Face checkpoint in <c>{OutputDirectory}/merged</c>. Default false.
    /// </summary>
    public bool SaveMergedModel { get; set; }

    /// <summary>The adapter settings these options describe (<see cref="LoraConfig"/>), for <see cref="UsePeft"/> runs.</summary>
    /// <returns>A new configuration with <c>bias = "none"</c>.</returns>
    public LoraConfig ToLoraConfig() => new()
    {
        R = LoraR,
        LoraAlpha = LoraAlpha,
        LoraDropout = LoraDropout,
        TargetModules = LoraTargetModules is null ? null : [.. LoraTargetModules],
        UseRslora = UseRslora,
    };

    /// <summary>The LoRA rules of <see cref="TrainingOptionsValidator"/>.</summary>
    internal void AddPeftFailures(ICollection<string> failures)
    {
        LoraConfig.AddFailures(
            LoraR, LoraAlpha, LoraDropout, LoraTargetModules, failures,
            nameof(LoraR), nameof(LoraAlpha), nameof(LoraDropout), nameof(LoraTargetModules));
        if (!UsePeft && LoraAdapterPath is not null)
        {
            failures.Add($"{nameof(LoraAdapterPath)} ('{LoraAdapterPath}') needs {nameof(UsePeft)} = true.");
        }

        if (!UsePeft && SaveMergedModel)
        {
            failures.Add($"{nameof(SaveMergedModel)} merges LoRA adapters and needs {nameof(UsePeft)} = true.");
        }

        if (LoraAdapterPath is not null && string.IsNullOrWhiteSpace(LoraAdapterPath))
        {
            failures.Add($"{nameof(LoraAdapterPath)} must name an adapter folder or be null; got '{LoraAdapterPath}'.");
        }
    }
}
