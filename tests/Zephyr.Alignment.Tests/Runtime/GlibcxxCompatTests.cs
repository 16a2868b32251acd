using System.Text;
using Zephyr.Alignment.Build;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Runtime;

/// <summary>
/// The build-time fix that lets TorchSharp 0.107 load where libstdc++ predates GCC 13. Each test builds its own
/// "old" and "new" libstdc++ from the system one by renaming a version string, so they mean the same on any machine.
/// </summary>
public sealed class GlibcxxCompatTests
{
    private const string Required = "GLIBCXX_3.4.32";

    [LinuxFact]
    public void The_packaged_library_needs_GLIBCXX_3_4_32_only_for_the_link_forcing_symbol()
    {
        ElfImage image = ElfImage.Read(TestPaths.PackagedLibTorchSharp);

        ElfVersionNeed need = Assert.Single(image.Needs, n => n.Version == Required);
        Assert.Equal("libstdc++.so.6", need.Library);
        Assert.False(need.IsWeak);
        Assert.Equal(["_ZSt21ios_base_library_initv"], need.Symbols);
        Assert.Contains(image.Needs, n => n.Version == "GLIBCXX_3.4.30");
    }

    [LinuxFact]
    public void Against_an_old_libstdcxx_exactly_one_flag_byte_changes_and_a_second_run_changes_nothing()
    {
        using var temp = new TempDirectory();
        string oldLib = OldLibStdCxx(temp);
        string lib = temp.File("libLibTorchSharp.so");
        File.Copy(TestPaths.PackagedLibTorchSharp, lib);
        byte[] before = File.ReadAllBytes(lib);

        GlibcxxCompatResult first = GlibcxxCompat.Apply(lib, oldLib, dryRun: false);

        Assert.True(first.Changed);
        Assert.Equal([Required], first.Weakened);
        Assert.Empty(first.Unfixable);
        byte[] after = File.ReadAllBytes(lib);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        long flagsOffset = Assert.Single(ElfImage.Parse(before, lib).Needs, n => n.Version == Required).FlagsOffset;
        Assert.Equal([(int)flagsOffset], changed);
        Assert.Equal(before[flagsOffset] | ElfImage.VerFlagWeak, after[flagsOffset]);
        Assert.All(ElfImage.Read(lib).Needs, n => Assert.Equal(n.Version == Required, n.IsWeak));

        GlibcxxCompatResult second = GlibcxxCompat.Apply(lib, oldLib, dryRun: false);

        Assert.False(second.Changed);
        Assert.Empty(second.Weakened);
        Assert.Equal([Required], second.AlreadyWeak);
        Assert.Equal(after, File.ReadAllBytes(lib));
    }

    [LinuxFact]
    public void Against_a_libstdcxx_that_provides_the_version_nothing_changes()
    {
        using var temp = new TempDirectory();
        string newLib = NewLibStdCxx(temp);
        string lib = temp.File("libLibTorchSharp.so");
        File.Copy(TestPaths.PackagedLibTorchSharp, lib);
        byte[] before = File.ReadAllBytes(lib);

        GlibcxxCompatResult result = GlibcxxCompat.Apply(lib, newLib, dryRun: false);

        Assert.False(result.Changed);
        Assert.Empty(result.Weakened);
        Assert.Empty(result.Unfixable);
        Assert.Equal(before, File.ReadAllBytes(lib));
        Assert.Contains("provides every version needed", result.Describe(), StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_missing_version_that_binds_a_real_symbol_is_reported_and_not_patched()
    {
        using var temp = new TempDirectory();
        string oldLib = OldLibStdCxx(temp);
        string lib = temp.File("libLibTorchSharp.so");
        byte[] bytes = File.ReadAllBytes(TestPaths.PackagedLibTorchSharp);
        RebindOneSymbolTo(bytes, Required);
        File.WriteAllBytes(lib, bytes);

        GlibcxxCompatResult result = GlibcxxCompat.Apply(lib, oldLib, dryRun: false);

        Assert.False(result.Changed);
        string unfixable = Assert.Single(result.Unfixable);
        Assert.StartsWith(Required, unfixable, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(lib));
    }

    [LinuxFact]
    public void Patching_a_hard_link_never_writes_through_to_the_original()
    {
        using var temp = new TempDirectory();
        string oldLib = OldLibStdCxx(temp);
        string cacheCopy = temp.File("cache-libLibTorchSharp.so");
        File.Copy(TestPaths.PackagedLibTorchSharp, cacheCopy);
        string output = temp.File("libLibTorchSharp.so");
        Assert.Equal(0, Link(cacheCopy, output));
        byte[] original = File.ReadAllBytes(cacheCopy);

        Assert.True(GlibcxxCompat.Apply(output, oldLib, dryRun: false).Changed);

        Assert.Equal(original, File.ReadAllBytes(cacheCopy));
        Assert.NotEqual(original, File.ReadAllBytes(output));
    }

    [LinuxFact]
    public void The_build_patched_this_test_run_s_copy_only_when_the_system_needs_it_and_left_the_package_cache_alone()
    {
        string? system = GlibcxxCompat.FindLibStdCxx(ElfImage.Read(TestPaths.PackagedLibTorchSharp).Machine);
        Assert.NotNull(system);
        bool systemHasIt = ElfImage.Read(system).Definitions.Contains(Required);

        bool outputWeak = Assert.Single(ElfImage.Read(TestPaths.OutputLibTorchSharp).Needs, n => n.Version == Required).IsWeak;
        bool cacheWeak = Assert.Single(ElfImage.Read(TestPaths.PackagedLibTorchSharp).Needs, n => n.Version == Required).IsWeak;

        Assert.Equal(!systemHasIt, outputWeak);
        Assert.False(cacheWeak);
    }

    [Fact]
    public void Malformed_files_raise_errors_that_name_the_file()
    {
        using var temp = new TempDirectory();
        string notElf = temp.File("not-elf.so");
        File.WriteAllText(notElf, "this is not an ELF file at all, just text of some length.....................");
        string truncated = temp.File("truncated.so");
        byte[] header = new byte[64];
        "\u007fELF"u8.CopyTo(header);
        header[4] = 2;
        header[5] = 1;
        header[0x28] = 0x00;
        header[0x29] = 0x10; // section headers at 4096, beyond the end
        header[0x3A] = 64;
        header[0x3C] = 3;
        File.WriteAllBytes(truncated, header);

        var e1 = Assert.Throws<InvalidDataException>(() => ElfImage.Read(notElf));
        var e2 = Assert.Throws<InvalidDataException>(() => ElfImage.Read(truncated));

        Assert.Contains(notElf, e1.Message, StringComparison.Ordinal);
        Assert.Contains(truncated, e2.Message, StringComparison.Ordinal);
    }

    /// <summary>The system libstdc++ with GLIBCXX_3.4.32 renamed away (a Debian 12 libstdc++ on any machine).</summary>
    private static string OldLibStdCxx(TempDirectory temp)
        => RenamedLibStdCxx(temp, "old-libstdc++.so.6", Required, "GLIBCXX_3.4.10");

    /// <summary>The system libstdc++ with an unneeded version renamed to GLIBCXX_3.4.32 (a GCC 13 libstdc++).</summary>
    private static string NewLibStdCxx(TempDirectory temp)
        => RenamedLibStdCxx(temp, "new-libstdc++.so.6", "GLIBCXX_3.4.10", Required);

    private static string RenamedLibStdCxx(TempDirectory temp, string name, string from, string to)
    {
        string? system = GlibcxxCompat.FindLibStdCxx(62);
        Assert.NotNull(system);
        byte[] bytes = File.ReadAllBytes(system);
        byte[] pattern = Encoding.ASCII.GetBytes(from + "\0");
        byte[] replacement = Encoding.ASCII.GetBytes(to + "\0");
        for (int i = bytes.AsSpan().IndexOf(pattern); i >= 0; i = NextIndex(bytes, pattern, i + 1))
        {
            replacement.CopyTo(bytes, i);
        }

        string path = temp.File(name);
        File.WriteAllBytes(path, bytes);
        ElfImage image = ElfImage.Read(path);
        Assert.Equal(to == Required, image.Definitions.Contains(Required));
        return path;
    }

    private static int NextIndex(byte[] bytes, byte[] pattern, int from)
    {
        int found = bytes.AsSpan(from).IndexOf(pattern);
        return found < 0 ? -1 : from + found;
    }

    /// <summary>Makes a real (non link-forcing) undefined symbol use <paramref name="version"/>'s index.</summary>
    private static void RebindOneSymbolTo(byte[] bytes, string version)
    {
        ElfImage image = ElfImage.Parse(bytes, "in-memory");
        ushort target = image.Needs.Single(n => n.Version == version).Index;
        ElfVersionNeed donor = image.Needs.First(n => n.Library == "libstdc++.so.6" && n.Version != version && n.Symbols.Count > 0);
        // Find the donor's first symbol in .gnu.version by scanning for its index value and retarget it.
        (long versymOffset, long count) = VersymTable(bytes);
        for (long i = 1; i < count; i++)
        {
            long at = versymOffset + (i * 2);
            if ((bytes[at] | (bytes[at + 1] << 8)) == donor.Index)
            {
                bytes[at] = (byte)(target & 0xff);
                bytes[at + 1] = (byte)(target >> 8);
                return;
            }
        }

        Assert.Fail("No symbol to rebind.");
    }

    private static (long Offset, long Count) VersymTable(byte[] b)
    {
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shentsize = BitConverter.ToUInt16(b, 0x3A);
        int shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            long at = shoff + ((long)i * shentsize);
            if (BitConverter.ToUInt32(b, (int)at + 4) == 0x6fffffff)
            {
                return (BitConverter.ToInt64(b, (int)at + 24), BitConverter.ToInt64(b, (int)at + 32) / 2);
            }
        }

        throw new InvalidOperationException("No .gnu.version section.");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string newPath);
}
