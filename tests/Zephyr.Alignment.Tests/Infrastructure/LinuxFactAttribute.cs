namespace Zephyr.Alignment.Tests.Infrastructure;

/// <summary>A fact that only means something on Linux x64 (ELF natives, libstdc++); skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Skip = "Needs Linux x64.";
        }
    }
}
