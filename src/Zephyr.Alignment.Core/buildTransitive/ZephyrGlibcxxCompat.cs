// Zephyr.Alignment: make TorchSharp's native bridge load where the system libstdc++ predates GCC 13.
//
// TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and therefore records a need
// for GLIBCXX_3.4.32. The only symbol bound to that version is _ZSt21ios_base_library_initv, which GCC 13's
// <iostream> references purely to force linking of the iostream initialiser; nothing calls it. Marking that
// one version requirement weak (VER_FLG_WEAK in the Vernaux entry of .gnu.version_r) lets the dynamic loader
// accept an older libstdc++ (Debian 12, Ubuntu 22.04: GLIBCXX_3.4.30) while every real symbol still binds.
//
// This one file is compiled three ways:
//   * by MSBuild's RoslynCodeTaskFactory, from the buildTransitive targets (defines the ZephyrRelaxGlibcxx task);
//   * into Zephyr.Alignment.Core with ZEPHYR_ELF_EMBEDDED, for the diagnostics shown when torch fails to load;
//   * hence it sticks to netstandard2.0 APIs and plain C#, and reads ELF by hand (no dependencies).
#nullable disable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Zephyr.Alignment.Build
{
    /// <summary>One version a shared object needs from another (an Elf64_Vernaux entry).</summary>
#if ZEPHYR_ELF_EMBEDDED
    internal
#else
    public
#endif
    sealed class ElfVersionNeed
    {
        /// <summary>Library the version is needed from, e.g. <c>libstdc++.so.6</c>.</summary>
        public string Library { get; set; }

        /// <summary>Version name, e.g. <c>GLIBCXX_3.4.32</c>.</summary>
        public string Version { get; set; }

        /// <summary>The vna_flags value.</summary>
        public ushort Flags { get; set; }

        /// <summary>File offset of vna_flags.</summary>
        public long FlagsOffset { get; set; }

        /// <summary>The vna_other value: the index dynamic symbols use to refer to this version.</summary>
        public ushort Index { get; set; }

        /// <summary>Undefined dynamic symbols bound to this version.</summary>
        public List<string> Symbols { get; } = new List<string>();

        /// <summary>True when the requirement is already weak.</summary>
        public bool IsWeak { get { return (Flags & ElfImage.VerFlagWeak) != 0; } }
    }

    /// <summary>The symbol-versioning view of an ELF64 little-endian shared object.</summary>
#if ZEPHYR_ELF_EMBEDDED
    internal
#else
    public
#endif
    sealed class ElfImage
    {
        /// <summary>VER_FLG_WEAK: a missing version is not fatal to the loader.</summary>
        public const ushort VerFlagWeak = 0x2;

        private const uint ShtDynsym = 11;
        private const uint ShtGnuVerdef = 0x6ffffffd;
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const uint ShtGnuVersym = 0x6fffffff;

        private ElfImage()
        {
        }

        /// <summary>Path the image was read from.</summary>
        public string Path { get; private set; }

        /// <summary>The e_machine field (62 = x86-64, 183 = AArch64).</summary>
        public ushort Machine { get; private set; }

        /// <summary>Versions this object needs from its dependencies.</summary>
        public List<ElfVersionNeed> Needs { get; } = new List<ElfVersionNeed>();

        /// <summary>Versions this object defines (what a library such as libstdc++ provides).</summary>
        public HashSet<string> Definitions { get; } = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Reads an ELF file's symbol-versioning sections.</summary>
        /// <exception cref="InvalidDataException">The file is not a well-formed ELF64 little-endian object.</exception>
        public static ElfImage Read(string path)
        {
            return Parse(File.ReadAllBytes(path), path);
        }

        /// <summary>Parses ELF bytes; <paramref name="path"/> is used in error messages only.</summary>
        public static ElfImage Parse(byte[] data, string path)
        {
            var image = new ElfImage { Path = path };
            if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
            {
                throw new InvalidDataException(path + ": not an ELF file.");
            }

            if (data[4] != 2 || data[5] != 1)
            {
                throw new InvalidDataException(path + ": only 64-bit little-endian ELF is supported.");
            }

            image.Machine = U16(data, 0x12, path);
            long shoff = (long)U64(data, 0x28, path);
            int shentsize = U16(data, 0x3A, path);
            int shnum = U16(data, 0x3C, path);
            if (shoff == 0 || shnum == 0)
            {
                throw new InvalidDataException(path + ": the ELF file has no section headers.");
            }

            if (shentsize < 64 || shoff + ((long)shnum * shentsize) > data.Length)
            {
                throw new InvalidDataException(path + ": section header table lies outside the file.");
            }

            var sections = new List<Section>();
            for (int i = 0; i < shnum; i++)
            {
                long at = shoff + ((long)i * shentsize);
                sections.Add(new Section
                {
                    Type = U32(data, at + 4, path),
                    Offset = (long)U64(data, at + 24, path),
                    Size = (long)U64(data, at + 32, path),
                    Link = U32(data, at + 40, path),
                    EntrySize = (long)U64(data, at + 56, path),
                });
            }

            Section dynsym = null;
            Section versym = null;
            foreach (Section s in sections)
            {
                if (s.Type == ShtDynsym)
                {
                    dynsym = s;
                }
                else if (s.Type == ShtGnuVersym)
                {
                    versym = s;
                }
                else if (s.Type == ShtGnuVerneed)
                {
                    image.ReadNeeds(data, s, StringTable(sections, s, path));
                }
                else if (s.Type == ShtGnuVerdef)
                {
                    image.ReadDefinitions(data, s, StringTable(sections, s, path));
                }
            }

            if (dynsym != null && versym != null && image.Needs.Count > 0)
            {
                image.BindSymbols(data, dynsym, versym, StringTable(sections, dynsym, path));
            }

            return image;
        }

        private void ReadNeeds(byte[] data, Section s, Section strtab)
        {
            long at = s.Offset;
            for (int guard = 0; guard < 4096; guard++)
            {
                Check(at, 16, s);
                ushort count = U16(data, at + 2, Path);
                string file = Str(data, strtab, U32(data, at + 4, Path));
                long aux = at + U32(data, at + 8, Path);
                for (int i = 0; i < count; i++)
                {
                    Check(aux, 16, s);
                    Needs.Add(new ElfVersionNeed
                    {
                        Library = file,
                        Flags = U16(data, aux + 4, Path),
                        FlagsOffset = aux + 4,
                        Index = U16(data, aux + 6, Path),
                        Version = Str(data, strtab, U32(data, aux + 8, Path)),
                    });
                    uint nextAux = U32(data, aux + 12, Path);
                    if (nextAux == 0)
                    {
                        break;
                    }

                    aux += nextAux;
                }

                uint next = U32(data, at + 12, Path);
                if (next == 0)
                {
                    return;
                }

                at += next;
            }

            throw new InvalidDataException(Path + ": .gnu.version_r chain does not terminate.");
        }

        private void ReadDefinitions(byte[] data, Section s, Section strtab)
        {
            long at = s.Offset;
            for (int guard = 0; guard < 65536; guard++)
            {
                Check(at, 20, s);
                long aux = at + U32(data, at + 12, Path);
                Check(aux, 8, s);
                Definitions.Add(Str(data, strtab, U32(data, aux, Path)));
                uint next = U32(data, at + 16, Path);
                if (next == 0)
                {
                    return;
                }

                at += next;
            }

            throw new InvalidDataException(Path + ": .gnu.version_d chain does not terminate.");
        }

        private void BindSymbols(byte[] data, Section dynsym, Section versym, Section strtab)
        {
            var byIndex = new Dictionary<ushort, ElfVersionNeed>();
            foreach (ElfVersionNeed need in Needs)
            {
                byIndex[need.Index] = need;
            }

            long entry = dynsym.EntrySize == 0 ? 24 : dynsym.EntrySize;
            long count = Math.Min(dynsym.Size / entry, versym.Size / 2);
            for (long i = 1; i < count; i++)
            {
                ushort version = (ushort)(U16(data, versym.Offset + (i * 2), Path) & 0x7fff);
                ElfVersionNeed need;
                if (version > 1 && byIndex.TryGetValue(version, out need))
                {
                    need.Symbols.Add(Str(data, strtab, U32(data, dynsym.Offset + (i * entry), Path)));
                }
            }
        }

        private void Check(long at, long length, Section s)
        {
            if (at < s.Offset || at + length > s.Offset + s.Size)
            {
                throw new InvalidDataException(Path + ": a symbol-version entry points outside its section.");
            }
        }

        private static Section StringTable(List<Section> sections, Section owner, string path)
        {
            if (owner.Link >= sections.Count)
            {
                throw new InvalidDataException(path + ": a section links to a missing string table.");
            }

            return sections[(int)owner.Link];
        }

        private static string Str(byte[] data, Section strtab, uint offset)
        {
            long start = strtab.Offset + offset;
            long end = start;
            while (end < data.Length && end < strtab.Offset + strtab.Size && data[end] != 0)
            {
                end++;
            }

            return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
        }

        private static ushort U16(byte[] d, long at, string path)
        {
            Bounds(d, at, 2, path);
            return (ushort)(d[at] | (d[at + 1] << 8));
        }

        private static uint U32(byte[] d, long at, string path)
        {
            Bounds(d, at, 4, path);
            return (uint)(d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) | (d[at + 3] << 24));
        }

        private static ulong U64(byte[] d, long at, string path)
        {
            return U32(d, at, path) | ((ulong)U32(d, at + 4, path) << 32);
        }

        private static void Bounds(byte[] d, long at, int length, string path)
        {
            if (at < 0 || at + length > d.Length)
            {
                throw new InvalidDataException(path + ": truncated ELF file (read at offset " + at + ").");
            }
        }

        private sealed class Section
        {
            public uint Type;
            public long Offset;
            public long Size;
            public uint Link;
            public long EntrySize;
        }
    }

    /// <summary>What <see cref="GlibcxxCompat"/> decided (or did) for one file.</summary>
#if ZEPHYR_ELF_EMBEDDED
    internal
#else
    public
#endif
    sealed class GlibcxxCompatResult
    {
        /// <summary>The file examined.</summary>
        public string File { get; set; }

        /// <summary>The libstdc++ it was compared with, or null when none was found.</summary>
        public string LibStdCxx { get; set; }

        /// <summary>Needed versions the system libstdc++ does not define and whose symbols are safe to leave unbound.</summary>
        public List<string> Weakened { get; } = new List<string>();

        /// <summary>Needed versions the system lacks that were already weak (a previous patch).</summary>
        public List<string> AlreadyWeak { get; } = new List<string>();

        /// <summary>Needed versions the system lacks that bind real symbols: patching cannot help.</summary>
        public List<string> Unfixable { get; } = new List<string>();

        /// <summary>True when the file was rewritten.</summary>
        public bool Changed { get; set; }

        /// <summary>One line for a build log.</summary>
        public string Describe()
        {
            if (LibStdCxx == null)
            {
                return "no system libstdc++.so.6 found; " + File + " left unchanged";
            }

            var parts = new List<string>();
            if (Weakened.Count > 0)
            {
                parts.Add("marked " + string.Join(", ", Weakened) + " weak (" + LibStdCxx + " lacks it)");
            }

            if (AlreadyWeak.Count > 0)
            {
                parts.Add(string.Join(", ", AlreadyWeak) + " already weak");
            }

            if (Unfixable.Count > 0)
            {
                parts.Add(string.Join(", ", Unfixable) + " needed for real symbols and missing from " + LibStdCxx);
            }

            if (parts.Count == 0)
            {
                parts.Add(LibStdCxx + " provides every version needed; unchanged");
            }

            return File + ": " + string.Join("; ", parts);
        }
    }

    /// <summary>Relaxes libstdc++ version requirements that bind only link-forcing symbols.</summary>
#if ZEPHYR_ELF_EMBEDDED
    internal
#else
    public
#endif
    static class GlibcxxCompat
    {
        /// <summary>The library whose versions are examined.</summary>
        public const string LibStdCxxSoname = "libstdc++.so.6";

        /// <summary>
        /// Symbols that exist only to force the linker to pull in an initialiser and are never called, so a
        /// missing definition is harmless. GCC 13 added the first (see libstdc++'s ios_init.cc).
        /// </summary>
        public static readonly string[] LinkForcingSymbols = { "_ZSt21ios_base_library_initv" };

        private static readonly string[] SearchDirectories =
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/lib64", "/usr/lib64", "/usr/local/lib64", "/usr/local/lib", "/lib", "/usr/lib",
        };

        /// <summary>
        /// Finds the libstdc++ the loader would pick for an object of the given machine: LD_LIBRARY_PATH first,
        /// then the usual system directories. Returns null when there is none (e.g. a musl system).
        /// </summary>
        public static string FindLibStdCxx(ushort machine)
        {
            var directories = new List<string>();
            string ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldPath))
            {
                directories.AddRange(ldPath.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
            }

            directories.AddRange(SearchDirectories);
            foreach (string directory in directories)
            {
                string candidate = System.IO.Path.Combine(directory, LibStdCxxSoname);
                if (!System.IO.File.Exists(candidate))
                {
                    continue;
                }

                try
                {
                    ElfImage image = ElfImage.Read(candidate);
                    if (image.Machine == machine)
                    {
                        return candidate;
                    }
                }
                catch (InvalidDataException)
                {
                    // A linker script or foreign file under that name; keep looking.
                }
            }

            return null;
        }

        /// <summary>
        /// Examines <paramref name="file"/> against <paramref name="libStdCxx"/> (found automatically when null)
        /// and, unless <paramref name="dryRun"/>, rewrites it with the harmless missing requirements made weak.
        /// The rewrite goes to a temporary file that then replaces the original, so a hard link into a package
        /// cache is never written through. Running it again is a no-op.
        /// </summary>
        public static GlibcxxCompatResult Apply(string file, string libStdCxx, bool dryRun)
        {
            byte[] data = System.IO.File.ReadAllBytes(file);
            ElfImage image = ElfImage.Parse(data, file);
            var result = new GlibcxxCompatResult { File = file };
            result.LibStdCxx = libStdCxx ?? FindLibStdCxx(image.Machine);
            if (result.LibStdCxx == null)
            {
                return result;
            }

            HashSet<string> provided = ElfImage.Read(result.LibStdCxx).Definitions;
            foreach (ElfVersionNeed need in image.Needs)
            {
                if (need.Library != LibStdCxxSoname || provided.Contains(need.Version))
                {
                    continue;
                }

                if (need.IsWeak)
                {
                    result.AlreadyWeak.Add(need.Version);
                }
                else if (OnlyLinkForcing(need))
                {
                    result.Weakened.Add(need.Version);
                    data[need.FlagsOffset] = (byte)(data[need.FlagsOffset] | ElfImage.VerFlagWeak);
                }
                else
                {
                    result.Unfixable.Add(need.Version + " (" + string.Join(", ", need.Symbols) + ")");
                }
            }

            if (result.Weakened.Count > 0 && !dryRun)
            {
                // Keep the timestamp of the copy: MSBuild then sees an unchanged file and skips copying the
                // original over it on the next incremental build.
                DateTime stamp = System.IO.File.GetLastWriteTimeUtc(file);
                string temporary = file + ".zephyr-tmp";
                System.IO.File.WriteAllBytes(temporary, data);
                System.IO.File.SetLastWriteTimeUtc(temporary, stamp);
                System.IO.File.Replace(temporary, file, null);
                result.Changed = true;
            }

            return result;
        }

        private static bool OnlyLinkForcing(ElfVersionNeed need)
        {
            foreach (string symbol in need.Symbols)
            {
                if (Array.IndexOf(LinkForcingSymbols, symbol) < 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

#if !ZEPHYR_ELF_EMBEDDED
    /// <summary>MSBuild task: applies <see cref="GlibcxxCompat"/> to the native files of a build or publish output.</summary>
    public sealed class ZephyrRelaxGlibcxx : Microsoft.Build.Utilities.Task
    {
        /// <summary>The libLibTorchSharp.so copies in the output folder.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; }

        /// <summary>Executes the task.</summary>
        public override bool Execute()
        {
            foreach (Microsoft.Build.Framework.ITaskItem item in Files)
            {
                try
                {
                    GlibcxxCompatResult result = GlibcxxCompat.Apply(item.GetMetadata("FullPath"), null, false);
                    var importance = result.Changed
                        ? Microsoft.Build.Framework.MessageImportance.High
                        : Microsoft.Build.Framework.MessageImportance.Normal;
                    Log.LogMessage(importance, "Zephyr.Alignment: " + result.Describe());
                    if (result.Unfixable.Count > 0)
                    {
                        Log.LogWarning(null, "ZEPHYR001", null, item.ItemSpec, 0, 0, 0, 0,
                            "Zephyr.Alignment: " + result.Describe() +
                            ". TorchSharp will not load on this machine; install a newer libstdc++ (GCC 13+). See docs/troubleshooting.md.");
                    }
                }
                catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
                {
                    Log.LogWarning(null, "ZEPHYR002", null, item.ItemSpec, 0, 0, 0, 0,
                        "Zephyr.Alignment: could not examine or patch " + item.ItemSpec + ": " + e.Message);
                }
            }

            return !Log.HasLoggedErrors;
        }
    }
#endif
}
