using System.Globalization;

namespace Zephyr.Alignment.Lora;

/// <summary>
/// A LoRA adapter's settings (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"), named and defaulted
/// as PEFT's <c>LoraConfig</c>: each targeted linear layer <c>y = x Wᵀ</c> becomes <c>y = x Wᵀ + scaling · B(A(dropout(x)))</c>
/// with <c>A</c> <c>[r, in]</c>, <c>B</c> <c>[out, r]</c> and <c>scaling = lora_alpha / r</c> (rsLoRA, Kalajdzievski 2023:
/// <c>lora_alpha / √r</c>).
/// </summary>
/// <remarks>
/// Only what this library implements is here: plain LoRA with <c>bias = "none"</c> on linear layers. PEFT's DoRA,
/// rank/alpha patterns, <c>modules_to_save</c> and other variants are rejected where an adapter file asks for them.
/// </remarks>
public sealed class LoraConfig
{
    /// <summary>PEFT's shorthand for "every linear layer except the output head".</summary>
    public const string AllLinear = "all-linear";

    /// <summary>The only <c>bias</c> setting implemented: no bias is trained.</summary>
    public const string BiasNone = "none";

    /// <summary>
    /// PEFT's default targets for Llama, Mistral and Qwen2 models (<c>TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING</c>):
    /// the query and value projections.
    /// </summary>
    public static IReadOnlyList<string> DefaultTargetModules { get; } = ["q_proj", "v_proj"];

    /// <summary>The rank <c>r</c> (PEFT <c>r</c>). Default 8, as PEFT.</summary>
    public int R { get; init; } = 8;

    /// <summary>The scale numerator (PEFT <c>lora_alpha</c>). Default 8, as PEFT.</summary>
    public double LoraAlpha { get; init; } = 8;

    /// <summary>Dropout on the adapter's input during training (PEFT <c>lora_dropout</c>). Default 0.</summary>
    public double LoraDropout { get; init; }

    /// <summary>
    /// The layers to adapt (PEFT <c>target_modules</c>): module names such as <c>q_proj</c>, each matching a module whose
    /// full name equals it or ends with <c>.</c> + it, or the single entry <see cref="AllLinear"/>. <see langword="null"/>
    /// means <see cref="DefaultTargetModules"/>. Ignored when <see cref="TargetModulesRegex"/> is set.
    /// </summary>
    public IReadOnlyList<string>? TargetModules { get; init; }

    /// <summary>
    /// A regular expression that must match a module's whole name (PEFT's <c>target_modules</c> given as one string,
    /// matched with <c>re.fullmatch</c>), or <see langword="null"/> to use <see cref="TargetModules"/>.
    /// </summary>
    public string? TargetModulesRegex { get; init; }

    /// <summary>Scale by <c>lora_alpha / √r</c> instead of <c>lora_alpha / r</c> (PEFT <c>use_rslora</c>). Default false.</summary>
    public bool UseRslora { get; init; }

    /// <summary>Which biases train (PEFT <c>bias</c>); only <see cref="BiasNone"/> is implemented.</summary>
    public string Bias { get; init; } = BiasNone;

    /// <summary>The base model an adapter belongs to (PEFT <c>base_model_name_or_path</c>): a Hub id or a folder; null when unknown.</summary>
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>The multiplier of the adapter's output: <c>lora_alpha / r</c>, or <c>lora_alpha / √r</c> with <see cref="UseRslora"/>.</summary>
    public double Scaling => UseRslora ? LoraAlpha / Math.Sqrt(R) : LoraAlpha / R;

    /// <summary>The targets in effect: <see cref="TargetModules"/> or, when null, <see cref="DefaultTargetModules"/>.</summary>
    public IReadOnlyList<string> EffectiveTargetModules => TargetModules ?? DefaultTargetModules;

    /// <summary>Throws when a value is out of range or asks for something not implemented; every problem is listed.</summary>
    /// <exception cref="ArgumentException">A value is invalid.</exception>
    public void Validate()
    {
        var failures = new List<string>();
        AddFailures(R, LoraAlpha, LoraDropout, TargetModulesRegex is null ? TargetModules : null, failures, "r", "lora_alpha", "lora_dropout", "target_modules");
        if (!string.Equals(Bias, BiasNone, StringComparison.Ordinal))
        {
            failures.Add($"bias must be \"{BiasNone}\" (the only setting implemented); got \"{Bias}\".");
        }

        if (TargetModulesRegex is { Length: 0 })
        {
            failures.Add("target_modules as a regular expression must not be empty.");
        }

        if (failures.Count > 0)
        {
            throw new ArgumentException("Invalid LoRA configuration: " + string.Join(" ", failures));
        }
    }

    /// <summary>The range rules of the rank, alpha, dropout and target names, reported under the caller's option names.</summary>
    internal static void AddFailures(
        int r, double alpha, double dropout, IEnumerable<string>? targets, ICollection<string> failures,
        string rName, string alphaName, string dropoutName, string targetsName)
    {
        if (r < 1)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{rName} must be >= 1; got {r}."));
        }

        if (!double.IsFinite(alpha) || alpha <= 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{alphaName} must be a finite number > 0; got {alpha}."));
        }

        if (!(dropout >= 0 && dropout < 1))
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{dropoutName} must be in [0, 1); got {dropout}."));
        }

        if (targets is null)
        {
            return;
        }

        var list = targets.ToList();
        if (list.Count == 0)
        {
            failures.Add($"{targetsName} must name at least one module, or be left unset for the default ({string.Join(", ", DefaultTargetModules)}).");
        }

        if (list.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add($"{targetsName} must not contain an empty name.");
        }

        if (list.Count > 1 && list.Any(t => string.Equals(t, AllLinear, StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add($"{targetsName}: \"{AllLinear}\" stands alone; got [{string.Join(", ", list)}].");
        }
    }
}
