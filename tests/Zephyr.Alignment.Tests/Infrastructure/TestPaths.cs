using System.Reflection;

namespace Zephyr.Alignment.Tests.Infrastructure;

/// <summary>Where test inputs live.</summary>
public static class TestPaths
{
    /// <summary>The copied fixtures (see Fixtures/*/PROVENANCE.md).</summary>
    public static string Fixtures { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>A fixture file or folder by relative path.</summary>
    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    /// <summary>The untouched libLibTorchSharp.so of the TorchSharp package in the NuGet cache.</summary>
    public static string PackagedLibTorchSharp
    {
        get
        {
            var metadata = typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
            return Path.Combine(metadata["NuGetPackageRoot"]!, "torchsharp", metadata["TorchSharpVersion"]!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        }
    }

    /// <summary>The copy in this test run's output folder.</summary>
    public static string OutputLibTorchSharp { get; } = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
}
