using System.Buffers.Binary;
using System.IO.Compression;

namespace FlMicroservices.Training;

/// <summary>Reads unsigned-byte IDX files (the MNIST format), raw or gzip-compressed.</summary>
/// <remarks>
/// Compression is recognised by the gzip magic bytes, not the file name, so a decompressed file keeps working
/// under its .gz name and vice versa. Every problem is an <see cref="InvalidDataException"/> whose message starts
/// with the file's path, so a user can tell which download is bad.
/// </remarks>
public static class IdxReader
{
    public const int LabelMagic = 0x00000801;
    public const int ImageMagic = 0x00000803;
    private const int InitialPayloadBuffer = 1 << 20;

    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path, LabelMagic, "label", dimensions: 1);
        var count = header[0];
        var labels = ReadPayload(stream, path, count, $"{count} labels ({count} bytes)");
        return labels;
    }

    public static IdxImages ReadImages(string path)
    {
        using var stream = Open(path);
        var header = ReadHeader(stream, path, ImageMagic, "image", dimensions: 3);
        var (count, rows, columns) = (header[0], header[1], header[2]);
        var bytes = (long)count * rows * columns;
        if (bytes > Array.MaxLength)
            throw Invalid(path, $"header says {count} images of {rows}x{columns} ({bytes} bytes), more than one array can hold");
        var pixels = ReadPayload(stream, path, (int)bytes, $"{count} images of {rows}x{columns} ({bytes} bytes)");
        return new IdxImages(count, rows, columns, pixels);
    }

    private static Stream Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Invalid(path, "file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, $"cannot be opened: {e.Message}", e);
        }

        Span<byte> magic = stackalloc byte[2];
        var read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static int[] ReadHeader(Stream stream, string path, int expectedMagic, string kind, int dimensions)
    {
        // The magic number is checked before the sizes so that a short file of the wrong kind is reported as
        // the wrong kind rather than as truncated.
        var header = new byte[4 + 4 * dimensions];
        var read = Read(stream, path, header.AsSpan(0, 4));
        var magic = read == 4 ? BinaryPrimitives.ReadInt32BigEndian(header) : 0;
        if (read == 4 && magic != expectedMagic)
            throw Invalid(path, $"not an IDX {kind} file: magic number 0x{magic:x8}, expected 0x{expectedMagic:x8}");
        read += Read(stream, path, header.AsSpan(read));
        if (read < header.Length)
            throw Invalid(path, $"truncated: an IDX {kind} header is {header.Length} bytes but the file holds only {read}");

        var sizes = new int[dimensions];
        for (var d = 0; d < dimensions; d++)
        {
            sizes[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * d));
            // The count (dimension 0) may be zero; an image dimension may not.
            if (sizes[d] < 0 || (d > 0 && sizes[d] == 0))
                throw Invalid(path, $"dimension {d} of the header is {sizes[d]}");
        }
        return sizes;
    }

    private static byte[] ReadPayload(Stream stream, string path, int length, string expected)
    {
        // The buffer grows with the data actually read, so a corrupt header cannot make it allocate gigabytes.
        var payload = new byte[Math.Min(length, InitialPayloadBuffer)];
        var read = 0;
        while (true)
        {
            read += Read(stream, path, payload.AsSpan(read));
            if (read < payload.Length || payload.Length == length) break;
            Array.Resize(ref payload, (int)Math.Min(length, 2L * payload.Length));
        }
        if (read < length)
            throw Invalid(path, $"truncated: header says {expected} but only {read} bytes follow");
        Span<byte> extra = stackalloc byte[1];
        if (Read(stream, path, extra) > 0)
            throw Invalid(path, $"header says {expected} but more bytes follow");
        return payload;
    }

    private static int Read(Stream stream, string path, Span<byte> buffer)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            // GZipStream reports a damaged deflate stream this way, without naming the file.
            throw Invalid(path, $"corrupt gzip stream ({e.Message})", e);
        }
        catch (IOException e)
        {
            throw Invalid(path, $"read failed ({e.Message})", e);
        }
    }

    internal static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}", inner);
}
