using Zephyr.Alignment.Aif;
using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Sft;

namespace Zephyr.Alignment.Pipeline.Recipe;

/// <summary>
/// The real recipe (section <c>Recipe</c> of a <c>--recipe</c> file): dSFT of <see cref="ModelPath"/> on UltraChat, then dDPO
/// of the dSFT model on UltraFeedback preferences, each stage with the library's own options (TRL names, recipe defaults).
/// </summary>
internal sealed class RecipeOptions
{
    /// <summary>The base model: a Hugging Face checkpoint folder (the recipe: <c>mistralai/Mistral-7B-v0.1</c>).</summary>
    public string? ModelPath { get; set; }

    /// <summary>The run's folder; dSFT goes to <c>{OutputDirectory}/dsft</c>, dDPO to <c>{OutputDirectory}/dsft_ddpo</c>.</summary>
    public string OutputDirectory { get; set; } = "zephyr-recipe-output";

    /// <summary>Skip dSFT and start dDPO from this checkpoint (for example a published dSFT model). Default: null (run dSFT).</summary>
    public string? SftModelPath { get; set; }

    /// <summary>The dSFT options; <c>ModelPath</c> and <c>OutputDirectory</c> are set from the recipe.</summary>
    public SftOptions Sft { get; set; } = new();

    /// <summary>
    /// The optional AIF stage (the AIF package's options: prompts file, <c>IChatClient</c> generators, teacher). When its
    /// <c>PromptsFile</c> is set, AIF runs between dSFT and dDPO into <c>{OutputDirectory}/aif</c>, and its
    /// <c>train_prefs.parquet</c> is dDPO's training file. Default: not run (dDPO reads <c>Dpo:TrainFile</c>).
    /// </summary>
    public AifOptions Aif { get; set; } = new();

    /// <summary>The dDPO options; <c>ModelPath</c> (the dSFT model, also the reference) and <c>OutputDirectory</c> are set from the recipe.</summary>
    public DpoOptions Dpo { get; set; } = new();
}
