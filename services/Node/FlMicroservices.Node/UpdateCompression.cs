using System.Buffers.Binary;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Compression;
using FlMicroservices.Core.Planning;

namespace FlMicroservices.Node;

/// <summary>Cuts a client's update into the slices it sends under its round's compression, keeping each client's top-k residual between rounds.</summary>
/// <remarks>
/// The manifest's digest covers what the aggregation will decode (its checksums are of the expanded slices), so a signed
/// statement binds the values that are aggregated. The residuals are kept in the node's state store (docs/compression.md).
/// </remarks>
public sealed class UpdateCompression(ErrorFeedbackResiduals residuals)
{
    /// <summary>The slices to stream and the digest of the update the aggregation will read from them; a top-k client's new residual is stored first.</summary>
    /// <exception cref="ArgumentException">The round's compression does not parse, or the update holds a value no coding takes (not finite).</exception>
    public async Task<(IReadOnlyList<UpdateSlice> Slices, string Digest)> SliceAsync(RoundStarted round, string clientId, float[] delta, int exampleCount,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(delta);
        var spec = CompressionSpec.Parse(RoundPlan.SettingsOf(round).Compression);
        if (spec.IsNone)
        {
            var plain = UpdateSliceCodec.Slice(round.TaskId, round.Round, clientId, delta, exampleCount, round.SliceElements).ToList();
            return (plain, UpdateDigest.Of(plain));
        }
        var feedback = spec.IsSparse ? await residuals.ForAsync(round.TaskId, clientId, cancellationToken) : null;
        var update = feedback?.Correct(delta) ?? delta;
        var compressor = new SliceCompressor(spec);
        var sent = new float[update.Length];
        var slices = new List<UpdateSlice>();
        var checksums = new List<uint>();
        foreach (var slice in UpdateSliceCodec.Slice(round.TaskId, round.Round, clientId, update, exampleCount, round.SliceElements))
        {
            var (wire, decoded) = compressor.Compress(slice, ClientSeeds.For(round.Seed, round.Round, $"{clientId}/compression/{slice.SliceIndex}"));
            decoded.CopyTo(sent, slice.ElementOffset);
            slices.Add(wire);
            checksums.Add(UpdateDigest.SliceChecksum(LittleEndianBytes(decoded)));
        }
        if (feedback is not null)
        {
            feedback.Keep(update, sent);
            await residuals.SaveAsync(round.TaskId, clientId, feedback, cancellationToken);
        }
        return (slices, UpdateDigest.FromChecksums(checksums.ToArray()));
    }

    private static byte[] LittleEndianBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }
}
