using TorchSharp;
using TorchSharp.Modules;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Scoring;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Reference;

/// <summary>
/// The frozen reference model π_ref of DPO: a policy-shaped model that cannot be trained by accident. On construction
/// it is moved to its own device and dtype, every parameter gets <c>requires_grad = false</c> and the model is put in
/// evaluation mode; every forward pass runs under <c>no_grad</c> and re-asserts evaluation mode first.
/// </summary>
/// <remarks>
/// <para>
/// TRL users' most frequent reference-model complaints are a reference left in training mode (dropout changes π_ref
/// between calls) and a reference that receives gradient updates; both are ruled out here. The reference also owns
/// no optimizer state: <see cref="IPolicyModel.NamedTrainableParameters"/> of the wrapped model is empty once frozen.
/// </para>
/// <para>
/// The reference may live on another device and in another dtype than the policy (for example the policy in float32
/// on one GPU, the reference in bfloat16 on another, or on the CPU); its log-probabilities are moved to the device the
/// caller asks for. It owns the wrapped model and disposes it.
/// </para>
/// </remarks>
public sealed class ReferenceModel : IPrefixSharingReference, IFingerprintableReference
{
    private readonly IPolicyModel model;
    private readonly List<(string Name, Parameter Parameter)> parameters;
    private bool disposed;

    /// <summary>Freezes <paramref name="model"/> and takes ownership of it.</summary>
    /// <param name="model">The reference weights, usually the same checkpoint as the policy's starting point (the dSFT model).</param>
    /// <param name="device">Where the reference runs; <see langword="null"/> keeps its current device.</param>
    /// <param name="dtype">Its parameter dtype; <see langword="null"/> keeps the current one.</param>
    /// <exception cref="ArgumentException"><paramref name="model"/> has no parameters to freeze (it is already frozen by someone else).</exception>
    public ReferenceModel(IPolicyModel model, Device? device = null, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureInitialized();

        // Moving first: changing a module's device replaces its parameter objects, so freezing must come after.
        if (device is not null || dtype is not null)
        {
            model.MoveTo(device ?? model.Device, dtype);
        }

        parameters = [.. model.NamedTrainableParameters()];
        if (parameters.Count == 0)
        {
            throw new ArgumentException(
                "The reference model reports no trainable parameters: pass a model that has not been frozen or shared with another ReferenceModel.",
                nameof(model));
        }

        foreach (var (_, parameter) in parameters)
        {
            parameter.requires_grad = false;
        }

        model.SetTrainingMode(false);
        this.model = model;
    }

    /// <summary>The device the reference runs on.</summary>
    public Device Device => Model.Device;

    /// <inheritdoc />
    public ScalarType DType => Model.DType;

    /// <inheritdoc />
    public int VocabularySize => Model.VocabularySize;

    /// <summary>Number of parameter tensors frozen on construction.</summary>
    public int ParameterCount => parameters.Count;

    /// <inheritdoc />
    public bool IsDisposed => disposed;

    private IPolicyModel Model
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return model;
        }
    }

    /// <summary>
    /// Summed log-probabilities of the completion tokens of each row under π_ref, computed without gradients.
    /// </summary>
    /// <param name="inputIds">Token ids <c>[R, T]</c>, int64 (for DPO: the <c>[chosen; rejected]</c> rows of a batch).</param>
    /// <param name="attentionMask">1 on real tokens, 0 on padding, <c>[R, T]</c>.</param>
    /// <param name="completionMask">1 on completion tokens, <c>[R, T]</c>.</param>
    /// <param name="resultDevice">Where the result goes (the policy's device, for the loss).</param>
    /// <returns>Sequence log-probs <c>[R]</c> in float32 (float64 for a float64 reference), on <paramref name="resultDevice"/>; no gradient history. The caller owns it.</returns>
    public Tensor SequenceLogProbs(Tensor inputIds, Tensor attentionMask, Tensor completionMask, Device resultDevice)
        => SequenceLogProbs(EvaluationModel, inputIds, attentionMask, completionMask, resultDevice);

    /// <summary>The summed completion log-probs of <paramref name="model"/> as a reference: no gradients, detached, on <paramref name="resultDevice"/>.</summary>
    internal static Tensor SequenceLogProbs(IPolicyModel model, Tensor inputIds, Tensor attentionMask, Tensor completionMask, Device resultDevice)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        ArgumentNullException.ThrowIfNull(completionMask);
        ArgumentNullException.ThrowIfNull(resultDevice);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Device device = model.Device;
        Tensor ids = inputIds.to(device);                                   // [R, T]
        Tensor attention = attentionMask.to(device);                        // [R, T]
        Tensor completion = completionMask.to(device);                      // [R, T]
        long keep = TokenLogProbs.LogitsToKeep(completionMask);             // the prompt costs no LM head
        long offset = ids.shape[1] - keep;
        Tensor logits = model.Forward(ids, attention, null, keep);          // [R, N, V]
        CompletionLogProbs logps = TokenLogProbs.ForCompletions(logits, ids.narrow(1, offset, keep), completion.narrow(1, offset, keep));
        return logps.Sum.to(resultDevice).detach().MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public IAttentionLayout? AttentionLayout => Model.GetService(typeof(IAttentionLayout)) as IAttentionLayout;

    /// <inheritdoc />
    public Tensor SequenceLogProbs(PrefixSharedPairs pairs, Device resultDevice)
        => SequenceLogProbs(EvaluationModel, pairs, resultDevice);

    /// <summary>The summed completion log-probs of packed pairs under <paramref name="model"/> as a reference: chosen then rejected <c>[2B]</c>, no gradients.</summary>
    internal static Tensor SequenceLogProbs(IPolicyModel model, PrefixSharedPairs pairs, Device resultDevice)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(resultDevice);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var (chosen, rejected) = pairs.SequenceSums(pairs.Score(model).PerToken); // [B] each
        return cat([chosen, rejected]).to(resultDevice).detach().MoveToOuterDisposeScope();
    }

    /// <summary>The wrapped model in evaluation mode: something else may have switched it to training mode (dropout), and the reference never runs in it.</summary>
    private IPolicyModel EvaluationModel
    {
        get
        {
            IPolicyModel reference = Model;
            if (reference.IsTraining)
            {
                reference.SetTrainingMode(false);
            }

            return reference;
        }
    }

    /// <summary>The frozen parameters with their checkpoint names, in the model's order (for fingerprints and checks).</summary>
    internal IReadOnlyList<(string Name, Parameter Parameter)> FrozenParameters
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return parameters;
        }
    }

    /// <inheritdoc />
    IEnumerable<(string Name, Parameter Parameter)> IFingerprintableReference.FrozenParameters() => FrozenParameters;

    /// <inheritdoc />
    string? IFingerprintableReference.ArchitectureDescription
        => (Model.GetService(typeof(IArchitectureDescription)) as IArchitectureDescription)?.ArchitectureDescription;

    /// <summary>Releases the reference model and its memory.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        parameters.Clear();
        model.Dispose();
    }
}
