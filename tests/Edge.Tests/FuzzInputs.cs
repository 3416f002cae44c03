using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FsCheck;
using FsCheck.Fluent;

namespace FlMicroservices.Edge.Tests;

/// <summary>One generated request body, and whether the edge must refuse it (false: it must accept it; null: either, but never crash).</summary>
public sealed record FuzzBody(string Kind, byte[] Body, bool? MustRefuse, int Slices = 0)
{
    public override string ToString() => $"{Kind} ({Body.Length} bytes{(Body.Length <= 200 ? ": " + Convert.ToHexString(Body) : "")})";
}

/// <summary>Generators of hostile inputs for the edge: bytes, JSON of any shape, mutated valid messages, FLS1 upload streams.</summary>
/// <remarks>FsCheck draws each case's kind and a seed; the seed drives the bytes, so a failing case replays from FsCheck's reported seed.</remarks>
public static class FuzzInputs
{
    private static readonly string[] Strings = ["", " ", "a", "n1", "n1-c0", "fz", "..", "../../etc/passwd", "\u0000", "💥", "NaN", "Infinity", "-0",
        "1e400", new string('x', 5000), "<script>", "' OR 1=1 --", "%00", "fle_", "\"", "\\"];

    /// <summary>A seed for the case's own random stream.</summary>
    public static Gen<int> Seed => Gen.Choose(0, int.MaxValue);

    /// <summary>Bytes of length 0 to <paramref name="max"/>.</summary>
    public static byte[] Bytes(Random random, int max)
    {
        ArgumentNullException.ThrowIfNull(random);
        var bytes = new byte[random.Next(max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A string from the hostile list, random printable text, or random unicode.</summary>
    public static string Text(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.Next(3) switch
        {
            0 => Strings[random.Next(Strings.Length)],
            1 => new string([.. Enumerable.Range(0, random.Next(40)).Select(_ => (char)random.Next(0x20, 0x7F))]),
            _ => new string([.. Enumerable.Range(0, random.Next(20)).Select(_ => (char)random.Next(0, 0xD800))]),
        };
    }

    /// <summary>Any JSON value: null, booleans, hostile numbers and strings, arrays and objects, nested to <paramref name="depth"/>.</summary>
    public static JsonNode? Json(Random random, int depth = 3)
    {
        ArgumentNullException.ThrowIfNull(random);
        switch (random.Next(depth > 0 ? 8 : 6))
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(2) == 0);
            case 2: return JsonValue.Create(new[] { 0, -1, 1, int.MaxValue, int.MinValue, random.Next() }[random.Next(6)]);
            case 3: return JsonValue.Create(new[] { 0.5, -1e300, 1e300, double.Epsilon, random.NextDouble() * 1e6 }[random.Next(5)]);
            case 4: return JsonValue.Create(Text(random));
            case 5: return JsonNode.Parse(new[] { "1e400", "-1e400", "123456789012345678901234567890", "-0.0" }[random.Next(4)]);
            case 6: return new JsonArray([.. Enumerable.Range(0, random.Next(6)).Select(_ => Json(random, depth - 1))]);
            default:
                var obj = new JsonObject();
                for (var i = random.Next(6); i > 0; i--) obj[Text(random)] = Json(random, depth - 1);
                return obj;
        }
    }

    /// <summary><paramref name="message"/> as JSON with some of its fields replaced by any JSON value, removed, or joined by strangers.</summary>
    public static byte[] Mutated(Random random, object message)
    {
        ArgumentNullException.ThrowIfNull(random);
        var node = JsonSerializer.SerializeToNode(message, message.GetType(), EdgeJson.Options)!.AsObject();
        var names = node.Select(p => p.Key).ToList();
        for (var i = 1 + random.Next(3); i > 0; i--)
        {
            var name = names[random.Next(names.Count)];
            switch (random.Next(3))
            {
                case 0: node[name] = Json(random); break;
                case 1: node.Remove(name); break;
                default: node[Text(random)] = Json(random); break;
            }
        }
        return JsonSerializer.SerializeToUtf8Bytes(node);
    }

    /// <summary>A prefix of <paramref name="bytes"/> shorter than the whole.</summary>
    public static byte[] Truncated(Random random, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(bytes);
        return bytes[..random.Next(Math.Max(1, bytes.Length))];
    }

    /// <summary>Hostile JSON bodies for <paramref name="valid"/>'s endpoint: bytes, any JSON, truncated or mutated forms, and the valid one itself.</summary>
    public static Gen<FuzzBody> JsonBodies(Func<Random, object> valid, bool validMayPass) =>
        Gen.Choose(0, 5).SelectMany(kind => Seed.Select(seed =>
        {
            var random = new Random(seed);
            var message = valid(random);
            return kind switch
            {
                0 => new FuzzBody("random bytes", Bytes(random, 2048), true),
                1 => new FuzzBody("any JSON", Encoding.UTF8.GetBytes(Json(random)?.ToJsonString() ?? "null"), null),
                2 => new FuzzBody("truncated", Truncated(random, JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), EdgeJson.Options)), true),
                3 or 4 => new FuzzBody("mutated", Mutated(random, message), null),
                _ => new FuzzBody("valid", JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), EdgeJson.Options), validMayPass ? false : true),
            };
        }));

    /// <summary>FLS1 upload streams for client <paramref name="clientId"/> of a plain round of <paramref name="sliceElements"/>: valid ones, and every way to break one.</summary>
    public static Gen<FuzzBody> Uploads(string taskId, int round, string clientId, int sliceElements, int maxUploadBytes) =>
        Gen.Choose(0, 10).SelectMany(kind => Seed.Select(seed =>
        {
            var random = new Random(seed);
            var floats = new float[1 + random.Next(4 * sliceElements)];
            for (var i = 0; i < floats.Length; i++) floats[i] = (float)(random.NextDouble() * 2 - 1);
            var slices = UpdateSliceCodec.Slice(taskId, round, clientId, floats, 1 + random.Next(100), sliceElements).ToList();
            var frames = slices.Select(UpdateSliceCodec.Encode).ToList();
            var body = EdgeRounds.Frames(frames);
            switch (kind)
            {
                case 0: return new FuzzBody("random bytes", Bytes(random, 4096), true);
                case 1: return new FuzzBody("valid", body, false, slices.Count);
                case 2:
                    var cut = random.Next(body.Length);
                    var boundary = cut > 0 && Boundaries(frames).Contains(cut);
                    return new FuzzBody(boundary ? "truncated at a frame boundary" : "truncated", body[..cut], !boundary,
                        boundary ? Boundaries(frames).TakeWhile(b => b <= cut).Count() : 0);
                case 3:
                    var at = Boundaries(frames).Prepend(0).SkipLast(1).ElementAt(random.Next(frames.Count));
                    var length = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(at));
                    var huge = new[] { uint.MaxValue, (uint)SliceUpload.MaxFrameBytes + 1, 0u, length + 1 + (uint)random.Next(1_000_000) }[random.Next(4)];
                    BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(at), huge);
                    return new FuzzBody($"length field {huge}", body, true);
                case 4:
                    var target = random.Next(slices.Count);
                    var poisoned = slices[target].Payload.ToArray();
                    var element = random.Next(poisoned.Length / 4);
                    BinaryPrimitives.WriteSingleLittleEndian(poisoned.AsSpan(element * 4), new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }[random.Next(3)]);
                    slices[target] = slices[target] with { Payload = poisoned };
                    return new FuzzBody("non-finite element", EdgeRounds.Frames(slices), true);
                case 5:
                    var masked = UpdateSliceCodec.SliceMasked(taskId, round, clientId, floats.Select(f => (uint)BitConverter.SingleToInt32Bits(f)).ToArray(), 1, sliceElements);
                    return new FuzzBody("masked elements in a plain round", EdgeRounds.Frames(masked), true);
                case 6:
                    var wide = UpdateSliceCodec.Slice(taskId, round, clientId, floats.Concat(new float[sliceElements]).ToArray(), 1, sliceElements + 1 + random.Next(sliceElements));
                    return new FuzzBody("slices wider than the round's", EdgeRounds.Frames(wide), true);
                case 7:
                    var shifted = slices.Select(s => s with { ElementOffset = s.ElementOffset + 1 + random.Next(sliceElements) });
                    return new FuzzBody("wrong element offsets", EdgeRounds.Frames(shifted), true);
                case 8:
                    var foreign = slices.Select(s => random.Next(3) switch
                    {
                        0 => s with { TaskId = taskId + "x" },
                        1 => s with { ClientId = clientId + "x" },
                        _ => s with { Round = round + 1 },
                    });
                    return new FuzzBody("foreign ids", EdgeRounds.Frames(foreign), true);
                case 9:
                    var big = UpdateSliceCodec.Slice(taskId, round, clientId, new float[maxUploadBytes / 4 + sliceElements], 1, sliceElements);
                    return new FuzzBody("over Edge:MaxUploadBytes", EdgeRounds.Frames(big), true);
                default:
                    var flip = random.Next(body.Length);
                    body[flip] ^= (byte)(1 << random.Next(8));
                    return new FuzzBody(string.Create(CultureInfo.InvariantCulture, $"bit flip at {flip}"), body, null);
            }
        }));

    // The byte offsets where each frame ends.
    private static List<int> Boundaries(List<byte[]> frames)
    {
        var ends = new List<int>();
        var at = 0;
        foreach (var frame in frames) ends.Add(at += EdgeApi.SliceFrameHeaderBytes + frame.Length);
        return ends;
    }

    /// <summary>A valid manifest of a plain update for <paramref name="clientId"/>.</summary>
    public static UpdateSubmitted Manifest(Random random, string taskId, int round, string clientId)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new UpdateSubmitted(taskId, round, clientId, 1 + random.Next(1000), 1 + random.Next(10), 1 + random.Next(10_000), Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            null, new LocalMetrics(random.NextDouble(), random.NextDouble(), random.Next(100)));
    }
}
