using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses.Legacy;

/// <summary>Shared arithmetic of the TRL ≤ 0.28 losses.</summary>
internal static class LegacyMargins
{
    /// <summary>
    /// Δ as TRL ≤ 0.28 evaluated it, (π_c − π_r) − (r_c − r_r): the same value as (π_c − r_c) − (π_r − r_r) up to the
    /// last bits, kept in this order so the legacy losses reproduce those releases exactly.
    /// </summary>
    public static Tensor Margin(PreferenceLossInputs inputs) =>
        (inputs.PolicyChosenLogps - inputs.PolicyRejectedLogps) - (inputs.ReferenceChosenLogps - inputs.ReferenceRejectedLogps);
}
