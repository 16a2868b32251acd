using System.Text.Json;

namespace Zephyr.Alignment.Training;

/// <summary>
/// Dynamic loss scaling for float16 training, with the rules and defaults of PyTorch's <c>torch.amp.GradScaler</c>:
/// the loss is multiplied by <see cref="Scale"/> before the backward pass so small float16 gradients do not flush to
/// zero; a step whose gradients contain inf or NaN is skipped and the scale halved; after
/// <see cref="GrowthInterval"/> clean steps in a row the scale doubles.
/// </summary>
internal sealed class LossScaler
{
    /// <summary>GradScaler's <c>init_scale</c>: 2^16.</summary>
    public const double InitialScale = 65536.0;

    /// <summary>GradScaler's <c>growth_factor</c>.</summary>
    public const double GrowthFactor = 2.0;

    /// <summary>GradScaler's <c>backoff_factor</c>.</summary>
    public const double BackoffFactor = 0.5;

    /// <summary>GradScaler's <c>growth_interval</c>.</summary>
    public const int GrowthInterval = 2000;

    /// <summary>The factor the loss is multiplied by before the backward pass.</summary>
    public double Scale { get; private set; } = InitialScale;

    /// <summary>Clean steps since the scale last changed (GradScaler's <c>_growth_tracker</c>).</summary>
    public int GrowthTracker { get; private set; }

    /// <summary>Updates the scale after a step, as GradScaler's <c>update</c> does.</summary>
    /// <param name="foundNonFinite">The step's gradients held an inf or NaN (the step was skipped).</param>
    public void Update(bool foundNonFinite)
    {
        if (foundNonFinite)
        {
            Scale *= BackoffFactor;
            GrowthTracker = 0;
            return;
        }

        if (++GrowthTracker == GrowthInterval)
        {
            Scale *= GrowthFactor;
            GrowthTracker = 0;
        }
    }

    /// <summary>Writes the state as JSON (<c>{"scale": …, "growth_tracker": …}</c>).</summary>
    public void Save(BinaryWriter writer)
        => writer.Write(JsonSerializer.SerializeToUtf8Bytes(new State { Scale = Scale, GrowthTracker = GrowthTracker }));

    /// <summary>Restores the state written by <see cref="Save"/>.</summary>
    /// <param name="path">The file, named in errors.</param>
    public void Load(string path)
    {
        State state;
        try
        {
            state = JsonSerializer.Deserialize<State>(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a loss-scaler state: {e.Message}", e);
        }

        if (!(state.Scale > 0) || !double.IsFinite(state.Scale) || state.GrowthTracker < 0)
        {
            throw new InvalidDataException($"{path}: scale {state.Scale} and growth_tracker {state.GrowthTracker} are not a valid loss-scaler state.");
        }

        Scale = state.Scale;
        GrowthTracker = state.GrowthTracker;
    }

    private sealed class State
    {
        [System.Text.Json.Serialization.JsonPropertyName("scale")]
        public double Scale { get; set; }

        [System.Text.Json.Serialization.JsonPropertyName("growth_tracker")]
        public int GrowthTracker { get; set; }
    }
}
