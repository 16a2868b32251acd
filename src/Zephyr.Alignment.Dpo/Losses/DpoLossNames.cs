namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>The loss types by TRL name (<c>DPOConfig.loss_type</c>).</summary>
public static class DpoLossNames
{
    /// <summary><c>sigmoid</c>: <see cref="SigmoidLoss"/> (DPO, the default).</summary>
    public const string Sigmoid = "sigmoid";

    /// <summary><c>hinge</c>: <see cref="HingeLoss"/> (SLiC).</summary>
    public const string Hinge = "hinge";

    /// <summary><c>ipo</c>: <see cref="IpoLoss"/>.</summary>
    public const string Ipo = "ipo";

    /// <summary><c>exo_pair</c>: <see cref="ExoPairLoss"/>.</summary>
    public const string ExoPair = "exo_pair";

    /// <summary><c>nca_pair</c>: <see cref="NcaPairLoss"/>.</summary>
    public const string NcaPair = "nca_pair";

    /// <summary><c>robust</c>: <see cref="RobustLoss"/>.</summary>
    public const string Robust = "robust";

    /// <summary><c>bco_pair</c>: <see cref="BcoPairLoss"/>.</summary>
    public const string BcoPair = "bco_pair";

    /// <summary><c>sppo_hard</c>: <see cref="SppoHardLoss"/>.</summary>
    public const string SppoHard = "sppo_hard";

    /// <summary><c>aot</c>: <see cref="AotLoss"/>.</summary>
    public const string Aot = "aot";

    /// <summary><c>aot_unpaired</c>: <see cref="AotUnpairedLoss"/>.</summary>
    public const string AotUnpaired = "aot_unpaired";

    /// <summary><c>apo_zero</c>: <see cref="ApoZeroLoss"/>.</summary>
    public const string ApoZero = "apo_zero";

    /// <summary><c>apo_down</c>: <see cref="ApoDownLoss"/>.</summary>
    public const string ApoDown = "apo_down";

    /// <summary><c>discopop</c>: <see cref="DiscoPopLoss"/>.</summary>
    public const string DiscoPop = "discopop";

    /// <summary><c>sft</c>: <see cref="SftLoss"/> (the NLL term of RPO and MPO).</summary>
    public const string Sft = "sft";

    /// <summary><c>sigmoid_norm</c>: <see cref="SigmoidNormLoss"/>.</summary>
    public const string SigmoidNorm = "sigmoid_norm";
}
