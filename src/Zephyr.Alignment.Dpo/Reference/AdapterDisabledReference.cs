using TorchSharp.Modules;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Lora;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Reference;

/// <summary>
/// DPO's reference for a LoRA policy: the policy itself with its adapters disabled, which is exactly the frozen base
/// model, so no second copy of the weights is kept (TRL's behaviour with a PEFT model and no <c>ref_model</c>).
/// </summary>
/// <remarks>
/// Each call turns the adapters off, switches to evaluation mode (no dropout), runs the forward pass without gradients,
/// then restores both. The base weights are frozen by the adapter model, so the reference cannot drift while the
/// adapters train. This object does not own the policy; disposing it only marks it released.
/// </remarks>
public sealed class AdapterDisabledReference : IPrefixSharingReference, IFingerprintableReference
{
    private readonly ILoraModel policy;
    private bool disposed;

    /// <summary>Uses <paramref name="policy"/> with adapters off as the reference.</summary>
    /// <param name="policy">The LoRA policy being trained.</param>
    public AdapterDisabledReference(ILoraModel policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        this.policy = policy;
    }

    /// <summary>The device the reference runs on: the policy's.</summary>
    public Device Device => Policy.Device;

    /// <inheritdoc />
    public ScalarType DType => Policy.DType;

    /// <inheritdoc />
    public int VocabularySize => Policy.VocabularySize;

    /// <inheritdoc />
    public bool IsDisposed => disposed;

    private ILoraModel Policy
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return policy;
        }
    }

    /// <inheritdoc />
    public IAttentionLayout? AttentionLayout => Policy.GetService(typeof(IAttentionLayout)) as IAttentionLayout;

    /// <inheritdoc />
    public Tensor SequenceLogProbs(Tensor inputIds, Tensor attentionMask, Tensor completionMask, Device resultDevice)
        => AdaptersOff(model => ReferenceModel.SequenceLogProbs(model, inputIds, attentionMask, completionMask, resultDevice));

    /// <inheritdoc />
    public Tensor SequenceLogProbs(PrefixSharedPairs pairs, Device resultDevice)
        => AdaptersOff(model => ReferenceModel.SequenceLogProbs(model, pairs, resultDevice));

    private Tensor AdaptersOff(Func<IPolicyModel, Tensor> score)
    {
        ILoraModel model = Policy;
        bool wasTraining = model.IsTraining;
        using IDisposable adaptersOff = model.DisableAdapters();
        if (wasTraining)
        {
            // π_ref never runs with dropout, the base model's or the adapters'.
            model.SetTrainingMode(false);
        }

        try
        {
            return score(model);
        }
        finally
        {
            if (wasTraining)
            {
                model.SetTrainingMode(true);
            }
        }
    }

    /// <inheritdoc />
    IEnumerable<(string Name, Parameter Parameter)> IFingerprintableReference.FrozenParameters() => Policy.NamedBaseParameters();

    /// <inheritdoc />
    string? IFingerprintableReference.ArchitectureDescription
        => (Policy.GetService(typeof(IArchitectureDescription)) as IArchitectureDescription)?.ArchitectureDescription;

    /// <summary>Marks the reference released; the policy is not touched.</summary>
    public void Dispose() => disposed = true;
}
