using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment;

/// <summary>
/// A causal language model that can be trained: the policy of SFT and DPO, and (frozen) the DPO reference.
/// </summary>
/// <remarks>
/// Implementations own their parameters and native memory; dispose the model to release them. Optional
/// capabilities (generation, LoRA adapters, gradient checkpointing) are reached through <see cref="GetService"/>,
/// so the contract stays small as they are added.
/// </remarks>
public interface IPolicyModel : IDisposable
{
    /// <summary>Size of the output vocabulary (the last dimension of the logits).</summary>
    int VocabularySize { get; }

    /// <summary>The device the parameters live on.</summary>
    Device Device { get; }

    /// <summary>The floating-point type of the parameters.</summary>
    ScalarType DType { get; }

    /// <summary>True in training mode (dropout active), false in evaluation mode.</summary>
    bool IsTraining { get; }

    /// <summary>Computes next-token logits.</summary>
    /// <param name="inputIds">Token ids, <c>[B, T]</c>, int64.</param>
    /// <param name="attentionMask">
    /// Null (all tokens real), a padding mask <c>[B, T]</c> (1 for real tokens, 0 for padding), or a query × key
    /// visibility mask <c>[B, T, T]</c> (nonzero where token t may attend to token s). The 3-D form carries packed
    /// sequences: several examples in one row see only themselves (a block-diagonal mask), with
    /// <paramref name="positionIds"/> restarting at 0 for each. Implementations apply causality (and any sliding
    /// window) on top of either form, so the mask never needs to encode them.
    /// </param>
    /// <param name="positionIds">
    /// Positions, <c>[B, T]</c>; null means <c>0..T-1</c> on every row. Left-padded batches pass positions that
    /// start at 0 on each row's first real token.
    /// </param>
    /// <returns>Logits <c>[B, T, V]</c>, differentiable with respect to the trainable parameters. The caller owns it.</returns>
    Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null);

    /// <summary>
    /// Computes the logits of the last <paramref name="logitsToKeep"/> positions only (transformers'
    /// <c>logits_to_keep</c>): the LM head, the largest matmul of a small model, then skips the positions nobody scores,
    /// such as a DPO prompt. The default computes every position and keeps the last ones; models override it to save
    /// the work.
    /// </summary>
    /// <param name="inputIds">Token ids <c>[B, T]</c>.</param>
    /// <param name="attentionMask">As in <see cref="Forward(Tensor, Tensor?, Tensor?)"/>.</param>
    /// <param name="positionIds">As in <see cref="Forward(Tensor, Tensor?, Tensor?)"/>.</param>
    /// <param name="logitsToKeep">Positions kept, counted from the end; 0 or at least T keeps all.</param>
    /// <returns>Logits <c>[B, N, V]</c> of positions <c>T-N .. T-1</c>, contiguous; the caller owns the tensor.</returns>
    Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, long logitsToKeep)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentOutOfRangeException.ThrowIfNegative(logitsToKeep);
        long length = inputIds.shape[^1];
        if (logitsToKeep == 0 || logitsToKeep >= length)
        {
            return Forward(inputIds, attentionMask, positionIds);
        }

        using Tensor all = Forward(inputIds, attentionMask, positionIds);
        return all.narrow(1, length - logitsToKeep, logitsToKeep).contiguous();
    }

    /// <summary>
    /// Computes the logits of selected positions only: the final norm and the LM head, the largest matmul of a small
    /// model, run on those positions and nowhere else. A loss that scores some tokens (SFT's assistant-only or
    /// completion-only labels, DPO's completions) then pays no LM head for the prompt and the padding. The default
    /// computes every position and gathers the selected ones (correct, not faster); models override it to save the work.
    /// </summary>
    /// <param name="inputIds">Token ids <c>[B, T]</c>.</param>
    /// <param name="attentionMask">As in <see cref="Forward(Tensor, Tensor?, Tensor?)"/>.</param>
    /// <param name="positionIds">As in <see cref="Forward(Tensor, Tensor?, Tensor?)"/>.</param>
    /// <param name="logitPositions">
    /// Row-major flat indices into the <c>B × T</c> positions (<c>b * T + t</c>), <c>[N]</c>, int64, each in
    /// <c>[0, B·T)</c>; any order, repeats allowed. Empty gives <c>[0, V]</c>.
    /// </param>
    /// <returns>Logits <c>[N, V]</c>, row i those of position <c>logitPositions[i]</c>, contiguous, differentiable; the caller owns the tensor.</returns>
    /// <exception cref="ArgumentException"><paramref name="logitPositions"/> is not a 1-D integer tensor of indices within <c>B × T</c>.</exception>
    Tensor ForwardAt(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, Tensor logitPositions)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        LogitPositions.Validate(logitPositions, inputIds);
        using var scope = NewDisposeScope();
        Tensor all = Forward(inputIds, attentionMask, positionIds);                                   // [B, T, V]
        Tensor index = logitPositions.to(ScalarType.Int64, all.device);                               // [N]
        return all.reshape(-1, all.shape[^1]).index_select(0, index).MoveToOuterDisposeScope();       // [N, V]
    }

    /// <summary>Parameters that require gradients, with their checkpoint names (e.g. <c>model.layers.0.mlp.up_proj.weight</c>).</summary>
    IEnumerable<(string Name, TorchSharp.Modules.Parameter Parameter)> NamedTrainableParameters();

    /// <summary>Moves the parameters to <paramref name="device"/> and, when given, converts them to <paramref name="dtype"/>.</summary>
    void MoveTo(Device device, ScalarType? dtype = null);

    /// <summary>Switches between training (<see langword="true"/>) and evaluation mode.</summary>
    void SetTrainingMode(bool training);

    /// <summary>
    /// Writes the model as a Hugging Face checkpoint folder (<c>config.json</c>, safetensors, tokenizer files),
    /// to a temporary folder that is moved into place when complete.
    /// </summary>
    /// <param name="directory">The destination folder; an existing one is replaced.</param>
    void Save(string directory);

    /// <summary>Returns an optional capability of this model (for example a generator), or <see langword="null"/>.</summary>
    /// <param name="serviceType">The capability requested.</param>
    object? GetService(Type serviceType) => serviceType.IsInstanceOfType(this) ? this : null;
}
