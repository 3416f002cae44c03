using System.Buffers.Binary;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Edge.Tests;

/// <summary>What upload tests share: a round the edge has seen start, and slices framed as an upload body.</summary>
public static class EdgeRounds
{
    /// <summary>Publishes a RoundStarted of <paramref name="participants"/> and waits until the edge knows it.</summary>
    public static async Task OpenAsync(EdgeServer edge, string taskId, int round, string[] participants, PrivacyConfig? privacy = null, int sliceElements = 256)
    {
        ArgumentNullException.ThrowIfNull(edge);
        await edge.Services.GetRequiredService<IBus>().Publish(new RoundStarted(taskId, round, round - 1, participants, DateTimeOffset.UtcNow.AddMinutes(30),
            new TrainingConfig(1, 10, 0.1), privacy ?? PrivacyConfig.None, sliceElements, "logreg", "fedavg", [], 0.5, 1));
        var rounds = edge.Services.GetRequiredService<OpenRounds>();
        await Eventually.TrueAsync(() => rounds.Problem(taskId, round, participants[0]) is null, TimeSpan.FromSeconds(30), $"the edge to see round {round} of {taskId}");
    }

    /// <summary>The upload body of <paramref name="slices"/>: each encoded slice after its 4-byte little-endian length.</summary>
    public static byte[] Frames(IEnumerable<UpdateSlice> slices) => Frames(slices.Select(UpdateSliceCodec.Encode));

    /// <summary>The upload body of already encoded frames.</summary>
    public static byte[] Frames(IEnumerable<byte[]> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var body = new MemoryStream();
        var length = new byte[4];
        foreach (var bytes in frames)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
            body.Write(length);
            body.Write(bytes);
        }
        return body.ToArray();
    }
}
