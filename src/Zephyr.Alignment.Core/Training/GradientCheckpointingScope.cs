using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Training;

/// <summary>Switches a policy's gradient checkpointing on for the length of a training run and restores it after.</summary>
internal sealed class GradientCheckpointingScope : IDisposable
{
    private readonly IGradientCheckpointing? target;
    private readonly bool previous;

    private GradientCheckpointingScope(IGradientCheckpointing? target)
    {
        this.target = target;
        if (target is not null)
        {
            previous = target.GradientCheckpointing;
            target.GradientCheckpointing = true;
        }
    }

    /// <summary>Turns checkpointing on when <paramref name="enabled"/>; does nothing otherwise.</summary>
    /// <exception cref="InvalidOperationException">Checkpointing was asked for and the policy cannot do it.</exception>
    public static GradientCheckpointingScope Enable(IPolicyModel policy, bool enabled, ILogger logger)
    {
        if (!enabled)
        {
            return new GradientCheckpointingScope(null);
        }

        // An option that is accepted and then ignored would cost the user an out-of-memory error much later.
        var capability = policy.GetService(typeof(IGradientCheckpointing)) as IGradientCheckpointing
            ?? throw new InvalidOperationException(
                $"GradientCheckpointing is true but the policy ({policy.GetType().Name}) does not support it (IGradientCheckpointing).");
        PrecisionLog.CheckpointingOn(logger);
        return new GradientCheckpointingScope(capability);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (target is not null)
        {
            target.GradientCheckpointing = previous;
        }
    }
}
