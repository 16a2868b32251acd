using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>
/// One LoRA adapter on a <see cref="Projection"/>: <c>A</c> <c>[r, in]</c> and <c>B</c> <c>[out, r]</c>, adding
/// <c>scaling · B(A(dropout(x)))</c> to the projection's output, as PEFT's <c>lora.Linear.forward</c> does.
/// </summary>
/// <remarks>
/// The matrices live in float32 when the base is bfloat16 or float16 (PEFT's <c>autocast_adapter_dtype</c>), so they
/// are their own fp32 master weights; a float64 base keeps float64 adapters. The input is cast to the adapter dtype and
/// the sum back to the base output's dtype.
/// </remarks>
internal sealed class LoraLayer : IDisposable
{
    private readonly double dropout;

    public LoraLayer(long inputSize, long outputSize, int rank, double scaling, double dropout, Device device, ScalarType dtype, bool trainable)
    {
        Scaling = scaling;
        this.dropout = dropout;
        A = NewParameter(zeros([rank, inputSize], dtype, device), trainable);
        B = NewParameter(zeros([outputSize, rank], dtype, device), trainable);
    }

    /// <summary><c>lora_A.weight</c>, <c>[r, in]</c>.</summary>
    public Parameter A { get; private set; }

    /// <summary><c>lora_B.weight</c>, <c>[out, r]</c>.</summary>
    public Parameter B { get; private set; }

    public double Scaling { get; }

    /// <summary>False while the adapters are disabled: the projection is then exactly the base layer.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The adapter dtype for a base in <paramref name="baseType"/>: float32 for 16-bit floats, otherwise the same.</summary>
    public static ScalarType AdapterDType(ScalarType baseType)
        => baseType is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : baseType;

    /// <summary>PEFT's initialisation: A Kaiming-uniform with a = √5 (bound 1/√in), B zero, so the adapter adds nothing yet.</summary>
    public void Initialize(Generator generator)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        double bound = 1.0 / Math.Sqrt(A.shape[1]);

        // Drawn on the CPU in float32 so the same seed gives the same adapters on every device.
        Tensor uniform = rand(A.shape, ScalarType.Float32, CPU, generator: generator); // [r, in] in [0, 1)
        A.copy_((uniform * (2 * bound)) - bound);
        B.zero_();
    }

    /// <summary><c>baseOutput + scaling · B(A(dropout(x)))</c> in the adapter dtype, returned in <paramref name="baseOutput"/>'s dtype.</summary>
    public Tensor Apply(Tensor input, Tensor baseOutput, bool training)
    {
        using var scope = NewDisposeScope();
        Tensor x = input.dtype == A.dtype ? input : input.to(A.dtype);                 // [.., in]
        if (training && dropout > 0)
        {
            x = nn.functional.dropout(x, dropout, training: true);
        }

        Tensor delta = nn.functional.linear(nn.functional.linear(x, A), B) * Scaling; // [.., out]
        return (baseOutput + delta).to(baseOutput.dtype).MoveToOuterDisposeScope();
    }

    /// <summary><c>scaling · B A</c> <c>[out, in]</c> in the adapter dtype (float32 for a 16-bit base, as PEFT merges on the CPU).</summary>
    public Tensor DeltaWeight()
    {
        using var noGrad = no_grad();
        return matmul(B, A) * Scaling;
    }

    /// <summary><paramref name="weight"/> + <see cref="DeltaWeight"/>, added in the adapter dtype and rounded once to the weight's dtype.</summary>
    public Tensor MergedWeight(Tensor weight)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor merged = weight.to(A.dtype) + DeltaWeight();
        return merged.to(weight.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Moves both matrices, keeping whether they train.</summary>
    public void MoveTo(Device device, ScalarType dtype)
    {
        if (A.device == device && A.dtype == dtype)
        {
            return;
        }

        A = Replace(A, device, dtype);
        B = Replace(B, device, dtype);
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    private static Parameter NewParameter(Tensor data, bool trainable)
    {
        var parameter = new Parameter(data, requires_grad: trainable);
        parameter.DetachFromDisposeScope();
        return parameter;
    }

    private static Parameter Replace(Parameter old, Device device, ScalarType dtype)
    {
        Parameter moved;
        using (no_grad())
        {
            moved = NewParameter(old.detach().to(dtype, device).clone(), old.requires_grad);
        }

        old.Dispose();
        return moved;
    }
}
