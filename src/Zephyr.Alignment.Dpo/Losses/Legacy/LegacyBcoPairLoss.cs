using TorchSharp;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Losses.Legacy;

/// <summary>
/// <b>Legacy (TRL ≤ 0.28).</b> BCO on pairs (Jung et al. 2024, "Binary Classifier Optimization for Large Language
/// Model Alignment", arXiv 2404.04656) with the reward shift δ of those releases:
/// ℓ = −log σ(β·x_c − δ) − log σ(−(β·x_r − δ)), where δ is the running mean of the per-step batch means of
/// [β·x_c; β·x_r]. The current form, without δ, is <see cref="BcoPairLoss"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>State.</b> The loss object keeps TRL's <c>RunningMoments</c> (mean 0, variance 1, count 1e-24 at the start)
/// and updates it on every <see cref="PreferenceLoss.Compute"/>, <b>before</b> using it, exactly as TRL did: each
/// call is one training step, so do not call it twice for one step (evaluation steps updated it too in TRL). The
/// batch mean is rounded to float32 and the update runs in float32 arithmetic, as TRL's did. Use one instance per
/// training run, <see cref="Reset"/> it to start over, and do not share it between threads. The moments are saved
/// with every checkpoint and restored on resume (<see cref="ICheckpointState"/>), so a resumed run continues exactly.
/// </para>
/// </remarks>
/// <param name="beta">β; finite and &gt; 0.</param>
public sealed class LegacyBcoPairLoss(double beta) : PreferenceLoss(beta), ICheckpointState
{
    private const double InitialCount = 1e-24;

    /// <summary>The running mean δ of the batch reward means (0 before the first step).</summary>
    public double RunningMean { get; private set; }

    /// <summary>The running variance of the batch reward means (1 before the first step).</summary>
    public double RunningVariance { get; private set; } = 1.0;

    /// <summary>How many batches the running moments have seen, plus TRL's initial 1e-24.</summary>
    public double RunningCount { get; private set; } = InitialCount;

    /// <inheritdoc />
    public override string Name => DpoLossNames.BcoPair;

    /// <summary>Forgets every step: back to mean 0, variance 1, count 1e-24.</summary>
    public void Reset()
    {
        RunningMean = 0.0;
        RunningVariance = 1.0;
        RunningCount = InitialCount;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> SaveState() => new Dictionary<string, double>
    {
        ["running_mean"] = RunningMean,
        ["running_variance"] = RunningVariance,
        ["running_count"] = RunningCount,
    };

    /// <inheritdoc />
    public void LoadState(IReadOnlyDictionary<string, double> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        double Get(string key) => state.TryGetValue(key, out double value)
            ? value
            : throw new InvalidDataException($"The checkpoint has no '{key}' for the legacy bco_pair loss's running moments.");
        RunningMean = Get("running_mean");
        RunningVariance = Get("running_variance");
        RunningCount = Get("running_count");
    }

    /// <inheritdoc />
    protected override Tensor ComputeLosses(PreferenceLossInputs inputs)
    {
        var (chosen, rejected) = LogRatios(inputs);
        Tensor chosenRewards = Beta * chosen;
        Tensor rejectedRewards = Beta * rejected;
        float batchMean;
        using (torch.no_grad())
        {
            batchMean = cat([chosenRewards, rejectedRewards], 0).mean().to_type(ScalarType.Float32).item<float>();
        }

        Update(batchMean);
        double delta = RunningMean;
        return LogSigmoid(chosenRewards - delta).neg() - LogSigmoid((rejectedRewards - delta).neg());
    }

    /// <summary>
    /// TRL's <c>RunningMoments.update</c> for one value, step by step in the precision TRL used: its tensors were
    /// float32 and its Python scalars float64, each scalar rounded to float32 when it met a tensor.
    /// </summary>
    private void Update(float batchMean)
    {
        const float batchCount = 1f;
        const float batchVariance = 0f; // the biased variance of a single value
        float delta = batchMean - (float)RunningMean;
        double totalCount = RunningCount + batchCount;
        float newSum = batchVariance * batchCount;
        float oldSum = (float)(RunningVariance * RunningCount) + delta * delta * (float)RunningCount * batchCount / (float)totalCount;
        float totalSum = oldSum + newSum;
        RunningMean += delta * batchCount / (float)totalCount;
        RunningVariance = totalSum / (float)totalCount;
        RunningCount = totalCount;
    }
}
