// Compiled by RoslynCodeTaskFactory (see Directory.Build.targets) against netstandard, so it sticks to
// APIs that netstandard 2.0 offers: no spans, no BinaryPrimitives, no File.Move(overwrite).
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one symbol-version requirement of ELF shared libraries WEAK (vna_flags |= VER_FLG_WEAK), so that
/// the dynamic loader accepts a system library that lacks that version instead of refusing to load.
/// </summary>
/// <remarks>
/// TorchSharp 0.107.0's libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13's libstdc++) only for
/// std::ios_base_library_init, which nothing calls at run time; Debian 12 and Ubuntu 22.04 stop at 3.4.30.
/// The task never fails the build: a file it cannot make sense of is reported as a message and left alone,
/// because the library may still load on a newer distribution, and warnings are errors in this repository.
/// </remarks>
public sealed class WeakenElfVersionNeed : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;
    // Elf32_Verneed and Elf64_Verneed share one layout, as do the Vernaux records.
    private const int VerneedSize = 16;
    private const int VnCnt = 2, VnFile = 4, VnAux = 8, VnNext = 12;
    private const int VernauxSize = 16;
    private const int VnaFlags = 4, VnaName = 8, VnaNext = 12;

    [Required]
    public ITaskItem[] Files { get; set; } = new ITaskItem[0];

    [Required]
    public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                Weaken(path);
            }
            catch (Exception e)
            {
                Log.LogMessage(MessageImportance.High, "{0}: not patched ({1}: {2}); it may fail to load where {3} is missing.",
                    path, e.GetType().Name, e.Message, VersionName);
            }
        }
        return true;
    }

    private void Weaken(string path)
    {
        if (!File.Exists(path))
            return;

        var image = File.ReadAllBytes(path);
        var flagsOffset = FindVernauxFlags(image, path);
        if (flagsOffset < 0)
            return;

        var flags = ReadU16(image, flagsOffset);
        if ((flags & VerFlgWeak) != 0)
        {
            Log.LogMessage(MessageImportance.Low, "{0}: {1} is already weak.", path, VersionName);
            return;
        }

        // Patch a private copy and rename it over the original: the output file may be a hard link or
        // symbolic link into the NuGet cache, which must keep the pristine library.
        var temp = path + ".weaken-tmp";
        try
        {
            File.Copy(path, temp, true);
            // The copy keeps the original's mode, and package files can be read-only.
            File.SetAttributes(temp, File.GetAttributes(temp) & ~FileAttributes.ReadOnly);
            using (var stream = new FileStream(temp, FileMode.Open, FileAccess.Write))
            {
                var patched = (ushort)(flags | VerFlgWeak);
                stream.Position = flagsOffset;
                stream.WriteByte((byte)patched);
                stream.WriteByte((byte)(patched >> 8));
            }
            // Keeping the original time stamp lets the SDK's incremental copy (same size and time = unchanged)
            // leave the patched file in place instead of copying the pristine one over it on every build.
            File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(path));
            File.Replace(temp, path, null);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
        Log.LogMessage(MessageImportance.Normal, "{0}: marked the {1} requirement weak.", path, VersionName);
    }

    /// <summary>The file offset of vna_flags of the Vernaux naming <see cref="VersionName"/>, or -1 when there is none.</summary>
    private long FindVernauxFlags(byte[] image, string path)
    {
        if (image.Length < 0x40 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        var is64 = image[4] switch
        {
            1 => false,
            2 => true,
            _ => throw new InvalidDataException("unknown ELF class " + image[4]),
        };
        if (image[5] != 1)
            throw new InvalidDataException("not little-endian");

        var sectionTable = is64 ? ReadU64(image, 0x28) : ReadU32(image, 0x20);
        var entrySize = ReadU16(image, is64 ? 0x3A : 0x2E);
        long sectionCount = ReadU16(image, is64 ? 0x3C : 0x30);
        if (sectionTable == 0)
            throw new InvalidDataException("no section header table");
        if (entrySize < (is64 ? 64 : 40))
            throw new InvalidDataException("section header entries of " + entrySize + " bytes are too small");
        if (sectionCount == 0)
        {
            // Extended numbering: with 0xff00 sections or more, the count lives in section 0's sh_size.
            sectionCount = (long)Math.Min(Section(image, is64, sectionTable, entrySize, 0).Size, (ulong)image.Length);
        }

        var found = -1L;
        for (var i = 0L; i < sectionCount; i++)
        {
            var section = Section(image, is64, sectionTable, entrySize, i);
            if (section.Type != ShtGnuVerneed)
                continue;
            if (section.Link >= sectionCount)
                throw new InvalidDataException(".gnu.version_r links to missing section " + section.Link);
            var strings = Section(image, is64, sectionTable, entrySize, section.Link);
            var candidate = FindInVerneed(image, section, strings, path);
            if (candidate >= 0)
                found = candidate;
        }
        return found;
    }

    private long FindInVerneed(byte[] image, SectionHeader verneed, SectionHeader strings, string path)
    {
        var end = Checked(image, verneed.Offset, verneed.Size);
        var entry = (long)verneed.Offset;
        // sh_info holds the number of Verneed entries; it also bounds the walk against a looping vn_next.
        for (var n = 0u; n < verneed.Info; n++)
        {
            if (entry + VerneedSize > end)
                throw new InvalidDataException("Verneed entry " + n + " runs past .gnu.version_r");
            var auxCount = ReadU16(image, entry + VnCnt);
            var aux = entry + ReadU32(image, entry + VnAux);
            for (var k = 0; k < auxCount; k++)
            {
                if (aux + VernauxSize > end)
                    throw new InvalidDataException("Vernaux entry runs past .gnu.version_r");
                var name = ReadString(image, strings, ReadU32(image, aux + VnaName));
                if (name == VersionName)
                {
                    Log.LogMessage(MessageImportance.Low, "{0}: {1} is required from {2}.", path, VersionName,
                        ReadString(image, strings, ReadU32(image, entry + VnFile)));
                    return aux + VnaFlags;
                }
                var nextAux = ReadU32(image, aux + VnaNext);
                if (nextAux == 0)
                    break;
                aux += nextAux;
            }
            var next = ReadU32(image, entry + VnNext);
            if (next == 0)
                break;
            entry += next;
        }
        return -1;
    }

    private static SectionHeader Section(byte[] image, bool is64, ulong table, int entrySize, long index)
    {
        var at = Checked(image, table + (ulong)index * (ulong)entrySize, (ulong)entrySize) - entrySize;
        // Fields read: sh_type, sh_offset, sh_size, sh_link, sh_info.
        return is64
            ? new SectionHeader(ReadU32(image, at + 4), ReadU64(image, at + 24), ReadU64(image, at + 32), ReadU32(image, at + 40), ReadU32(image, at + 44))
            : new SectionHeader(ReadU32(image, at + 4), ReadU32(image, at + 16), ReadU32(image, at + 20), ReadU32(image, at + 24), ReadU32(image, at + 28));
    }

    private static string ReadString(byte[] image, SectionHeader strings, uint offset)
    {
        var end = Checked(image, strings.Offset, strings.Size);
        var start = (long)strings.Offset + offset;
        var stop = start;
        while (stop < end && image[stop] != 0)
            stop++;
        if (stop >= end)
            throw new InvalidDataException("string at " + offset + " runs past its string table");
        return Encoding.ASCII.GetString(image, (int)start, (int)(stop - start));
    }

    /// <summary>The end offset of [offset, offset + size), after checking that it lies inside the file.</summary>
    private static long Checked(byte[] image, ulong offset, ulong size)
    {
        if (offset > (ulong)image.Length || size > (ulong)image.Length - offset)
            throw new InvalidDataException("range " + offset + "+" + size + " lies outside the " + image.Length + "-byte file");
        return (long)(offset + size);
    }

    private static ushort ReadU16(byte[] b, long at) => (ushort)(b[at] | b[at + 1] << 8);

    private static uint ReadU32(byte[] b, long at) => (uint)(b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24);

    private static ulong ReadU64(byte[] b, long at) => ReadU32(b, at) | (ulong)ReadU32(b, at + 4) << 32;

    private readonly struct SectionHeader
    {
        public SectionHeader(uint type, ulong offset, ulong size, uint link, uint info)
        {
            Type = type;
            Offset = offset;
            Size = size;
            Link = link;
            Info = info;
        }

        public uint Type { get; }
        public ulong Offset { get; }
        public ulong Size { get; }
        public uint Link { get; }
        public uint Info { get; }
    }
}
