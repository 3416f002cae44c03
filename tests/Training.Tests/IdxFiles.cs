using System.Buffers.Binary;
using System.IO.Compression;

namespace FlMicroservices.Training.Tests;

/// <summary>Writes small IDX files for the reader's tests, raw or gzip-compressed.</summary>
internal static class IdxFiles
{
    public static byte[] Labels(params byte[] labels) => [.. Header(0x801, labels.Length), .. labels];

    public static byte[] Images(int count, int rows, int columns, byte[] pixels) => [.. Header(0x803, count, rows, columns), .. pixels];

    public static byte[] Header(int magic, params int[] dimensions)
    {
        var header = new byte[4 + 4 * dimensions.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (var d = 0; d < dimensions.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * d), dimensions[d]);
        return header;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(content);
        return buffer.ToArray();
    }

    public static string Write(string directory, string name, byte[] content, bool gzip)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, gzip ? Gzip(content) : content);
        return path;
    }
}
