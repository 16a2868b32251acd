using System.Text;
using Zephyr.Alignment.Build;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Runtime;

public sealed class TorchRuntimeDiagnosisTests
{
    [Fact]
    public void An_application_without_a_backend_package_is_told_which_packages_to_reference()
    {
        using var app = new TempDirectory();

        string message = TorchRuntime.Diagnose(app.Path, "This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64");

        Assert.Contains("has no libtorch native libraries", message, StringComparison.Ordinal);
        Assert.Contains("libtorch-cpu-linux-x64", message, StringComparison.Ordinal);
        Assert.Contains("TorchSharp-cuda-linux", message, StringComparison.Ordinal);
        Assert.Contains("TorchSharp said:", message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void An_unpatched_native_library_on_an_old_libstdcxx_is_explained_with_the_fix()
    {
        using var app = new TempDirectory();
        string native = Path.Combine(app.Path, "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        File.Copy(TestPaths.PackagedLibTorchSharp, Path.Combine(native, "libLibTorchSharp.so"));
        File.WriteAllBytes(Path.Combine(native, "libtorch_cpu.so"), [0]);
        string oldLib = app.File("libstdc++.so.6");
        byte[] bytes = File.ReadAllBytes(GlibcxxCompat.FindLibStdCxx(62)!);
        ReplaceAll(bytes, "GLIBCXX_3.4.32\0", "GLIBCXX_3.4.10\0");
        File.WriteAllBytes(oldLib, bytes);

        string message = TorchRuntime.Diagnose(app.Path, "version `GLIBCXX_3.4.32' not found", oldLib);

        Assert.Contains("requires GLIBCXX_3.4.32", message, StringComparison.Ordinal);
        Assert.Contains(oldLib, message, StringComparison.Ordinal);
        Assert.Contains("dotnet build", message, StringComparison.Ordinal);
        Assert.Contains("GCC 13", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Device_and_dtype_names_are_parsed_and_bad_ones_rejected_clearly()
    {
        Assert.Equal(TorchSharp.torch.ScalarType.BFloat16, TorchDevices.ParseDType("bf16"));
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, TorchDevices.ParseDType("float32"));
        Assert.Equal(TorchSharp.torch.ScalarType.Float16, TorchDevices.ParseDType("FP16"));
        Assert.Equal(TorchSharp.DeviceType.CPU, TorchDevices.ResolveDevice("cpu").type);

        var badDtype = Assert.Throws<ArgumentException>(() => TorchDevices.ParseDType("int8"));
        var badDevice = Assert.Throws<ArgumentException>(() => TorchDevices.ResolveDevice("tpu"));
        Assert.Contains("'int8'", badDtype.Message, StringComparison.Ordinal);
        Assert.Contains("'tpu'", badDevice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Asking_for_cuda_without_cuda_fails_at_start_up_or_falls_back_when_allowed()
    {
        if (TorchSharp.torch.cuda.is_available())
        {
            Assert.Equal(TorchSharp.DeviceType.CUDA, TorchDevices.ResolveDevice("cuda").type);
            return;
        }

        var error = Assert.Throws<ArgumentException>(() => TorchDevices.ResolveDevice("cuda:1"));
        Assert.Contains("CUDA is not available", error.Message, StringComparison.Ordinal);

        string? warning = null;
        var device = TorchDevices.ResolveDevice("cuda", allowCpuFallback: true, warn: w => warning = w);
        Assert.Equal(TorchSharp.DeviceType.CPU, device.type);
        Assert.Contains("Falling back to the CPU", warning, StringComparison.Ordinal);
    }

    private static void ReplaceAll(byte[] bytes, string from, string to)
    {
        byte[] pattern = Encoding.ASCII.GetBytes(from);
        byte[] replacement = Encoding.ASCII.GetBytes(to);
        for (int i = 0; i <= bytes.Length - pattern.Length; i++)
        {
            if (bytes.AsSpan(i, pattern.Length).SequenceEqual(pattern))
            {
                replacement.CopyTo(bytes, i);
            }
        }
    }
}
