using TorchSharp;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Scoring;

/// <summary>
/// <c>log softmax(logits)[label]</c> per row as one autograd node, so that neither pass holds a second
/// <c>[N, V]</c> tensor beside the logits and their gradient: the forward keeps only the per-row log-sum-exp
/// (<c>[N]</c>), and the backward fills one gradient tensor chunk by chunk with <c>g·(onehot − softmax)</c>.
/// </summary>
/// <remarks>
/// With built-in operations each chunk's <c>narrow</c> backward allocates a zero tensor of the whole logits size, and
/// <c>log_softmax</c> keeps its <c>[N, V]</c> output alive until the backward pass: two to three logits-sized blocks at
/// the step's peak. Inputs: <c>logits</c> <c>[N, V]</c>, <c>labels</c> <c>[N]</c> int64 in range, the chunk size (long).
/// Output: <c>[N]</c> in <c>float32</c> (float64 for float64 logits).
/// </remarks>
internal sealed class TokenLogProbFunction : autograd.SingleTensorFunction<TokenLogProbFunction>
{
    /// <inheritdoc />
    public override string Name => nameof(TokenLogProbFunction);

    /// <summary>The log-prob of each row's label: the label's logit minus the row's log-sum-exp.</summary>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (logits, labels, chunkRows) = Unpack(vars);
        long rows = logits.shape[0];
        ScalarType computeType = ComputeType(logits.dtype);
        Tensor logSumExp = empty(rows, computeType, logits.device);     // [N]
        Tensor picked = empty(rows, computeType, logits.device);        // [N]
        for (long start = 0; start < rows; start += chunkRows)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(chunkRows, rows - start);
            Tensor chunk = logits.narrow(0, start, length).to(computeType); // [n, V]: a view unless upcast
            logSumExp.narrow(0, start, length).copy_(chunk.logsumexp(-1));
            picked.narrow(0, start, length).copy_(chunk.gather(-1, labels.narrow(0, start, length).unsqueeze(-1)).squeeze(-1));
        }

        ctx.save_for_backward([logits, labels, logSumExp]);
        ctx.save_data("chunkRows", chunkRows);
        Tensor result = picked.sub_(logSumExp);
        return result;
    }

    /// <summary>∂/∂logits = g · (onehot(label) − softmax(logits)), written chunk by chunk into one tensor.</summary>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        List<Tensor> saved = ctx.get_saved_variables();
        Tensor logits = saved[0], labels = saved[1], logSumExp = saved[2];
        long chunkRows = (long)ctx.get_data("chunkRows");
        long rows = logits.shape[0];
        ScalarType computeType = logSumExp.dtype;
        Tensor grad = empty_like(logits);                               // [N, V], the only logits-sized block
        using (no_grad())
        {
            for (long start = 0; start < rows; start += chunkRows)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(chunkRows, rows - start);
                Tensor target = grad.narrow(0, start, length);          // [n, V] view
                Tensor work = computeType == logits.dtype ? target : empty([length, logits.shape[1]], computeType, logits.device);
                Tensor g = grad_output.narrow(0, start, length).to(computeType).unsqueeze(-1); // [n, 1]
                work.copy_(logits.narrow(0, start, length))
                    .sub_(logSumExp.narrow(0, start, length).unsqueeze(-1))
                    .exp_()
                    .mul_(g.neg());                                     // −g · softmax
                work.scatter_add_(-1, labels.narrow(0, start, length).unsqueeze(-1), g); // + g at the label
                if (!ReferenceEquals(work, target))
                {
                    target.copy_(work);
                }
            }
        }

        foreach (Tensor tensor in saved)
        {
            tensor.Dispose();
        }

        return [grad, null!, null!];
    }

    /// <summary>Half-precision logits are reduced in float32 (a bf16 log-sum-exp over 32k entries loses most of its mantissa); float64 stays.</summary>
    internal static ScalarType ComputeType(ScalarType logitsType) => logitsType == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    private static (Tensor Logits, Tensor Labels, long ChunkRows) Unpack(object[] vars)
        => ((Tensor)vars[0], (Tensor)vars[1], (long)vars[2]);
}
