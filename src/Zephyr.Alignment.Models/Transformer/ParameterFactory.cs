using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Models;

/// <summary>Creates parameters without initializing them: the loader overwrites every one, so random init would be wasted work.</summary>
internal static class ParameterFactory
{
    public static Parameter Uninitialized(long[] shape, ModelPlacement placement)
    {
        var parameter = new Parameter(empty(shape, placement.DType, placement.Device), requires_grad: true);
        parameter.DetachFromDisposeScope();
        return parameter;
    }
}
