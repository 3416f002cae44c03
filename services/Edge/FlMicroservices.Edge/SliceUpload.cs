using System.Buffers.Binary;
using System.Globalization;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Compression;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Edge;

/// <summary>Reads one client's framed slices from an upload as they arrive, checks each, and writes it to the update stream.</summary>
public sealed class SliceUpload(IUpdateStreamProducer stream, IOptions<EdgeOptions> options)
{
    /// <summary>The largest frame a valid slice can fill: the header, two ids of at most 256 bytes, 256 KiB of payload.</summary>
    public const int MaxFrameBytes = 64 + 2 * (2 + UpdateSliceCodec.MaxIdBytes) + UpdateSliceCodec.MaxPayloadBytes;

    /// <summary>Streams the slices of <paramref name="body"/>; every slice must decode, belong to this round and client and fit the round's shape.</summary>
    public async Task<UploadOutcome> ReceiveAsync(Stream body, RoundStarted started, string clientId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(started);
        var (taskId, round) = (started.TaskId, started.Round);
        var cap = options.Value.MaxUploadBytes;
        var header = new byte[EdgeApi.SliceFrameHeaderBytes];
        long total = 0;
        var slices = 0;
        while (true)
        {
            var got = await body.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
            if (got == 0) break;
            if (got < header.Length) return UploadOutcome.Bad($"the upload ends inside the length of frame {slices}");
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            if (length is 0 or > MaxFrameBytes)
                return UploadOutcome.Bad(Invariant($"frame {slices} announces {length} bytes; a slice takes 1 to {MaxFrameBytes}"));
            total += header.Length + length;
            if (total > cap) return UploadOutcome.TooLarge(cap);
            var frame = new byte[length];
            if (await body.ReadAtLeastAsync(frame, frame.Length, throwOnEndOfStream: false, cancellationToken) < frame.Length)
                return UploadOutcome.Bad(Invariant($"the upload ends inside frame {slices} ({length} bytes announced)"));
            UpdateSlice slice;
            try { slice = UpdateSliceCodec.Decode(frame); }
            catch (MalformedSliceException e) { return UploadOutcome.Bad(Invariant($"frame {slices} is not a valid slice: {e.Message}")); }
            if (slice.TaskId != taskId || slice.Round != round || slice.ClientId != clientId)
                return UploadOutcome.Bad(Invariant($"frame {slices} is a slice of task '{slice.TaskId}' round {slice.Round} client '{slice.ClientId}', not of the upload's task '{taskId}' round {round} client '{clientId}'"));
            if (ShapeProblem(slice, started) is { } wrong) return UploadOutcome.Bad(Invariant($"frame {slices} (slice {slice.SliceIndex}): {wrong}"));
            await stream.ProduceAsync(slice, cancellationToken);
            slices++;
        }
        return slices == 0 ? UploadOutcome.Bad("the upload holds no slice") : new UploadOutcome(new UploadReceipt(slices, total), StatusCodes.Status200OK, null);
    }

    // Secure-aggregation rounds carry masked integers, plain rounds finite float32s; each slice covers its place in the round's slicing.
    private static string? ShapeProblem(UpdateSlice slice, RoundStarted started)
    {
        var expected = started.Privacy.SecureAggregation == SecureAggregationMode.None ? ElementType.Float32 : ElementType.UInt32;
        if (slice.ElementType != expected) return Invariant($"elements are {slice.ElementType}, but round {started.Round} takes {expected}");
        if (slice.ElementCount > started.SliceElements)
            return Invariant($"{slice.ElementCount} elements, over the round's {started.SliceElements} per slice");
        if (slice.ElementOffset != (long)slice.SliceIndex * started.SliceElements)
            return Invariant($"element offset {slice.ElementOffset} is not slice index × {started.SliceElements}");
        if (expected != ElementType.Float32) return null;
        // A compressed slice is checked as the aggregation will read it, and forwarded as it came (docs/compression.md).
        if (slice.Encoding != SliceEncoding.None || started.Settings?.Compression is not null)
        {
            try { slice = SliceExpander.Expand(slice, CompressionSpec.Parse(started.Settings?.Compression)); }
            catch (MalformedSliceException e) { return e.Message; }
            catch (ArgumentException e) { return $"the round's compression cannot be read: {e.Message}"; }
        }
        var values = slice.AsFloats();
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return Invariant($"element {i} is {values[i]}: updates must be finite numbers");
        return null;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>An upload's receipt, or the status and reason it was refused (slices before the fault are already on the stream).</summary>
public sealed record UploadOutcome(UploadReceipt? Receipt, int Status, string? Problem)
{
    public static UploadOutcome Bad(string problem) => new(null, StatusCodes.Status400BadRequest, problem);

    public static UploadOutcome TooLarge(long cap) =>
        new(null, StatusCodes.Status413PayloadTooLarge, string.Create(CultureInfo.InvariantCulture, $"the upload exceeds Edge:MaxUploadBytes ({cap} bytes)"));
}
