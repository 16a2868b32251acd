namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>The stage and variant names, which are also folder names and the <c>name</c> of each ablation.json row.</summary>
internal static class StageNames
{
    /// <summary>The pretrained base model.</summary>
    public const string Base = "base";

    /// <summary>dSFT from the base model.</summary>
    public const string Dsft = "dsft";

    /// <summary>The AI-feedback stage.</summary>
    public const string Aif = "aif";

    /// <summary>dDPO straight from the base model (the paper's "dDPO without dSFT").</summary>
    public const string DdpoOnly = "ddpo_only";

    /// <summary>dDPO from the dSFT model (Zephyr).</summary>
    public const string DsftDdpo = "dsft_ddpo";

    /// <summary>The four variants of the ablation, in table order.</summary>
    public static IReadOnlyList<string> Variants { get; } = [Base, Dsft, DdpoOnly, DsftDdpo];
}
