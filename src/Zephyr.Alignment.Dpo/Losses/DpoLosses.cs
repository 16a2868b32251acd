using Zephyr.Alignment.Dpo.Losses.Legacy;

namespace Zephyr.Alignment.Dpo.Losses;

/// <summary>
/// Creates losses from TRL's names (<c>DPOConfig.loss_type</c>, <c>loss_weights</c> and the hyperparameters), so
/// that options can name loss types as TRL users do.
/// </summary>
/// <remarks>
/// As in TRL, <c>label_smoothing</c> and <c>discopop_tau</c> are shared settings read only by the losses that use
/// them: ε by robust, exo_pair, aot and aot_unpaired (and, in <see cref="CreateLegacy(string, double, double, double, double?)"/>, sigmoid);
/// τ by discopop. Current TRL ignores ε on sigmoid.
/// </remarks>
/// <example>
/// <code>
/// ILossFunction dpo = DpoLosses.Create("sigmoid", beta: 0.01);
/// ILossFunction mpo = DpoLosses.Create(["sigmoid", "bco_pair", "sft"], [0.8, 0.2, 1.0], beta: 0.1);
/// ILossFunction cdpo = DpoLosses.CreateLegacy("sigmoid", beta: 0.1, labelSmoothing: 0.1);
/// </code>
/// </example>
public static class DpoLosses
{
    /// <summary>The loss types of current TRL (1.x), in TRL's order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        DpoLossNames.Sigmoid, DpoLossNames.Hinge, DpoLossNames.Ipo, DpoLossNames.ExoPair, DpoLossNames.NcaPair,
        DpoLossNames.Robust, DpoLossNames.BcoPair, DpoLossNames.SppoHard, DpoLossNames.Aot, DpoLossNames.AotUnpaired,
        DpoLossNames.ApoZero, DpoLossNames.ApoDown, DpoLossNames.DiscoPop, DpoLossNames.Sft, DpoLossNames.SigmoidNorm,
    ];

    /// <summary>The loss types of TRL ≤ 0.28 (no <c>sigmoid_norm</c>).</summary>
    public static IReadOnlyList<string> LegacyNames { get; } = [.. Names.Where(n => n != DpoLossNames.SigmoidNorm)];

    /// <summary>The current loss types that read <c>label_smoothing</c> ε; the others ignore it.</summary>
    public static IReadOnlyList<string> LabelSmoothingNames { get; } =
        [DpoLossNames.ExoPair, DpoLossNames.Robust, DpoLossNames.Aot, DpoLossNames.AotUnpaired];

    /// <summary>The legacy (TRL ≤ 0.28) loss types that read ε: the current ones and <c>sigmoid</c> (conservative DPO).</summary>
    public static IReadOnlyList<string> LegacyLabelSmoothingNames { get; } = [DpoLossNames.Sigmoid, .. LabelSmoothingNames];

    /// <summary>Creates one loss of current TRL.</summary>
    /// <param name="lossType">One of <see cref="Names"/>.</param>
    /// <param name="beta">β; finite and &gt; 0 (TRL default 0.1).</param>
    /// <param name="labelSmoothing">ε (TRL's <c>label_smoothing</c>): in [0, 0.5), default 0; exo_pair needs ε &gt; 0.</param>
    /// <param name="discopopTau">τ of discopop: &gt; 0, default 0.05.</param>
    /// <param name="divergence">The f-divergence score (TRL's <c>f_divergence_type</c>); <see langword="null"/> for reverse KL.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">The name is unknown (the message lists the known names) or a hyperparameter is out of range.</exception>
    public static ILossFunction Create(string lossType, double beta, double labelSmoothing = 0.0, double discopopTau = 0.05, IDivergenceScore? divergence = null)
    {
        ArgumentNullException.ThrowIfNull(lossType);
        CheckShared(labelSmoothing, discopopTau);
        return lossType switch
        {
            DpoLossNames.Sigmoid => new SigmoidLoss(beta, divergence),
            DpoLossNames.Hinge => new HingeLoss(beta, divergence),
            DpoLossNames.Ipo => new IpoLoss(beta, divergence),
            DpoLossNames.ExoPair => new ExoPairLoss(beta, labelSmoothing, divergence),
            DpoLossNames.NcaPair => new NcaPairLoss(beta, divergence),
            DpoLossNames.Robust => new RobustLoss(beta, labelSmoothing, divergence),
            DpoLossNames.BcoPair => new BcoPairLoss(beta, divergence),
            DpoLossNames.SppoHard => new SppoHardLoss(beta, divergence),
            DpoLossNames.Aot => new AotLoss(beta, labelSmoothing),
            DpoLossNames.AotUnpaired => new AotUnpairedLoss(beta, labelSmoothing),
            DpoLossNames.ApoZero => new ApoZeroLoss(beta),
            DpoLossNames.ApoDown => new ApoDownLoss(beta, divergence),
            DpoLossNames.DiscoPop => new DiscoPopLoss(beta, discopopTau, divergence),
            DpoLossNames.Sft => new SftLoss(beta),
            DpoLossNames.SigmoidNorm => new SigmoidNormLoss(beta, divergence),
            _ => throw Unknown(lossType, Names, nameof(lossType)),
        };
    }

    /// <summary>
    /// Creates the loss of a current-TRL <c>loss_type</c> list with <c>loss_weights</c>: one loss when the list has
    /// one type of weight 1, otherwise a <see cref="CombinedLoss"/> reporting unweighted rewards.
    /// </summary>
    /// <param name="lossTypes">One or more of <see cref="Names"/>.</param>
    /// <param name="lossWeights">One finite weight per type, or <see langword="null"/> for every weight 1.0.</param>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε: in [0, 0.5), default 0.</param>
    /// <param name="discopopTau">τ of discopop: &gt; 0, default 0.05.</param>
    /// <param name="divergence">The f-divergence score; <see langword="null"/> for reverse KL.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">The list is empty, the weights do not match it, a name is unknown or a hyperparameter is out of range.</exception>
    public static ILossFunction Create(
        IReadOnlyList<string> lossTypes, IReadOnlyList<double>? lossWeights, double beta, double labelSmoothing = 0.0, double discopopTau = 0.05, IDivergenceScore? divergence = null)
    {
        var weights = CheckList(lossTypes, lossWeights);
        var terms = lossTypes.Select((name, k) => (Create(name, beta, labelSmoothing, discopopTau, divergence), weights[k])).ToList();
        return terms is [(var single, 1.0)] ? single : new CombinedLoss(terms, CombinedRewards.FirstTerm);
    }

    /// <summary>
    /// <b>Legacy (TRL ≤ 0.28).</b> Creates one loss as the Zephyr-era releases computed it: sigmoid with label
    /// smoothing (conservative DPO), IPO on per-token log-probs, bco_pair with its running mean, exo_pair with
    /// ε = 0 → 1e-3, and optionally RPO's <c>rpo_alpha</c>·NLL added to every pair.
    /// </summary>
    /// <param name="lossType">One of <see cref="LegacyNames"/>.</param>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε: in [0, 0.5), default 0.</param>
    /// <param name="discopopTau">τ of discopop: &gt; 0, default 0.05.</param>
    /// <param name="rpoAlpha">α of RPO (<c>rpo_alpha</c>): finite and ≥ 0, or <see langword="null"/> for none. Needs <see cref="PreferenceLossInputs.ChosenTokenNllMean"/>.</param>
    /// <returns>The loss; a bco_pair loss keeps state (see <see cref="LegacyBcoPairLoss"/>).</returns>
    /// <exception cref="ArgumentException">The name is unknown or a hyperparameter is out of range.</exception>
    public static ILossFunction CreateLegacy(string lossType, double beta, double labelSmoothing = 0.0, double discopopTau = 0.05, double? rpoAlpha = null)
    {
        ArgumentNullException.ThrowIfNull(lossType);
        return CreateLegacy([lossType], null, beta, labelSmoothing, discopopTau, rpoAlpha);
    }

    /// <summary>
    /// <b>Legacy (TRL ≤ 0.28).</b> Creates the loss of a legacy <c>loss_type</c> list with <c>loss_weights</c>: the
    /// per-pair losses <b>and the rewards</b> are weighted sums (<see cref="CombinedRewards.WeightedSum"/>), and
    /// <c>rpo_alpha</c>·NLL is added to every pair after the sum.
    /// </summary>
    /// <param name="lossTypes">One or more of <see cref="LegacyNames"/>; <c>ipo</c> only on its own.</param>
    /// <param name="lossWeights">One finite weight per type, or <see langword="null"/> for every weight 1.0.</param>
    /// <param name="beta">β; finite and &gt; 0.</param>
    /// <param name="labelSmoothing">ε: in [0, 0.5), default 0.</param>
    /// <param name="discopopTau">τ of discopop: &gt; 0, default 0.05.</param>
    /// <param name="rpoAlpha">α of RPO: finite and ≥ 0, or <see langword="null"/> for none.</param>
    /// <returns>The loss.</returns>
    /// <exception cref="ArgumentException">
    /// The list is empty, the weights do not match it, a name is unknown, a hyperparameter is out of range, or
    /// <c>ipo</c> is combined with other types (TRL ≤ 0.28 then fed per-token log-probs to every type, which this
    /// library does not reproduce).
    /// </exception>
    public static ILossFunction CreateLegacy(
        IReadOnlyList<string> lossTypes, IReadOnlyList<double>? lossWeights, double beta, double labelSmoothing = 0.0, double discopopTau = 0.05, double? rpoAlpha = null)
    {
        var weights = CheckList(lossTypes, lossWeights);
        CheckShared(labelSmoothing, discopopTau);
        if (rpoAlpha is { } alpha && !(double.IsFinite(alpha) && alpha >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(rpoAlpha), alpha, $"rpo_alpha must be a finite number >= 0, got {alpha}.");
        }

        if (lossTypes.Count > 1 && lossTypes.Contains(DpoLossNames.Ipo))
        {
            throw new ArgumentException(
                "Legacy ipo cannot be combined with other loss types: TRL <= 0.28 then normalised every type's log-probs by length. Use the current 'ipo' in a combination.",
                nameof(lossTypes));
        }

        var terms = lossTypes.Select((name, k) => (CreateLegacyTerm(name, beta, labelSmoothing, discopopTau), weights[k])).ToList();
        ILossFunction loss = terms is [(var single, 1.0)] ? single : new CombinedLoss(terms, CombinedRewards.WeightedSum);
        // RPO adds α·NLL after the weighted sum and leaves the rewards alone, hence FirstTerm.
        return rpoAlpha is { } rpo ? new CombinedLoss([(loss, 1.0), (new SftLoss(beta), rpo)], CombinedRewards.FirstTerm) : loss;
    }

    private static ILossFunction CreateLegacyTerm(string lossType, double beta, double labelSmoothing, double discopopTau)
    {
        ArgumentNullException.ThrowIfNull(lossType);
        return lossType switch
        {
            DpoLossNames.Sigmoid => new LegacySigmoidLoss(beta, labelSmoothing),
            DpoLossNames.Ipo => new LegacyIpoLoss(beta),
            DpoLossNames.ExoPair => new LegacyExoPairLoss(beta, labelSmoothing),
            DpoLossNames.BcoPair => new LegacyBcoPairLoss(beta),
            // The other types computed the same values then as now (up to the last bits of Δ's evaluation order).
            DpoLossNames.Hinge or DpoLossNames.NcaPair or DpoLossNames.Robust or DpoLossNames.SppoHard or DpoLossNames.Aot
                or DpoLossNames.AotUnpaired or DpoLossNames.ApoZero or DpoLossNames.ApoDown or DpoLossNames.DiscoPop or DpoLossNames.Sft
                => Create(lossType, beta, labelSmoothing, discopopTau),
            _ => throw Unknown(lossType, LegacyNames, nameof(lossType)),
        };
    }

    private static double[] CheckList(IReadOnlyList<string> lossTypes, IReadOnlyList<double>? lossWeights)
    {
        ArgumentNullException.ThrowIfNull(lossTypes);
        if (lossTypes.Count == 0)
        {
            throw new ArgumentException("loss_type needs at least one loss type.", nameof(lossTypes));
        }

        if (lossWeights is null)
        {
            return [.. Enumerable.Repeat(1.0, lossTypes.Count)];
        }

        if (lossWeights.Count != lossTypes.Count)
        {
            throw new ArgumentException(
                $"loss_weights has {lossWeights.Count} values but loss_type has {lossTypes.Count} ({string.Join(", ", lossTypes)}).", nameof(lossWeights));
        }

        return [.. lossWeights];
    }

    private static void CheckShared(double labelSmoothing, double discopopTau)
    {
        HyperParameters.LabelSmoothing(labelSmoothing, nameof(labelSmoothing));
        HyperParameters.Positive(discopopTau, nameof(discopopTau), "discopop_tau");
    }

    private static ArgumentException Unknown(string name, IReadOnlyList<string> known, string parameter) =>
        new($"Unknown DPO loss type '{name}'. Known: {string.Join(", ", known)}.", parameter);
}
