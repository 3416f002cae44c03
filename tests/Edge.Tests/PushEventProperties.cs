using System.Text;
using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Node.Edge;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace FlMicroservices.Edge.Tests;

/// <summary>Property-based test of the node's reading of the edge's push channel (Server-Sent Events): any stream, no crash, every valid event read.</summary>
public sealed class PushEventProperties(ITestOutputHelper output)
{
    [Fact]
    public void Any_push_stream_yields_exactly_its_valid_events_and_a_reason_for_each_unreadable_one()
    {
        var (count, events, skipped) = (0, 0, 0);
        var streams = FuzzInputs.Seed.Select(seed => Stream(new Random(seed)));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(EdgeParsingProperties.Inputs), Prop.ForAll(Arb.From(streams), stream =>
        {
            count++;
            var read = new List<object>();
            using var reader = new StringReader(stream.Text);
            foreach (var (name, data) in PushEventReader.ReadAsync(reader, CancellationToken.None).ToBlockingEnumerable())
            {
                var message = PushEventReader.Parse(name, data, out var problem);
                Assert.True(message is null == (problem is not null || name is not (EdgeApi.RoundStartedEvent or EdgeApi.SecAggServerEvent)),
                    $"event '{name}' read as {message?.GetType().Name ?? "nothing"} with problem '{problem}'");
                if (message is not null) read.Add(message);
                else if (problem is not null) skipped++;
            }
            Assert.Equal(stream.Valid.Select(Key), read.Select(Key));
            events += read.Count;
        }));
        output.WriteLine($"push streams: {count} generated streams, {events} valid events read, {skipped} unreadable events skipped with a reason");
        Assert.Equal(EdgeParsingProperties.Inputs, count);
        Assert.True(events > 0 && skipped > 0, $"{events} events read, {skipped} skipped");
    }

    private static string Key(object message) => message switch
    {
        RoundStarted r => $"round {r.TaskId}/{r.Round}",
        SecAggServerMessage s => $"secagg {s.TaskId}/{s.Round}/{s.RecipientClientId}/{Convert.ToBase64String(s.Payload)}",
        _ => message.GetType().Name,
    };

    /// <summary>A push stream's text and the valid messages in it, in order.</summary>
    private sealed record PushStream(string Text, List<object> Valid)
    {
        public override string ToString() => Text.Length <= 2000 ? Text : Text[..2000] + "...";
    }

    // Valid events among comments, blank lines, unknown and half events, and events whose data is any JSON, broken JSON or the wrong shape.
    private static PushStream Stream(Random random)
    {
        var text = new StringBuilder();
        var valid = new List<object>();
        var newline = random.Next(2) == 0 ? "\n" : "\r\n";
        for (var i = random.Next(30); i > 0; i--)
        {
            switch (random.Next(9))
            {
                case 0:
                    var round = new RoundStarted($"t{random.Next(100)}", random.Next(1000), 0, ["c0", "c1"], DateTimeOffset.UnixEpoch.AddDays(random.Next(30_000)),
                        new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 1 + random.Next(10_000), "logreg", "fedavg", [], 0.5, random.Next());
                    text.Append("event: ").Append(EdgeApi.RoundStartedEvent).Append(newline).Append("data: ").Append(JsonSerializer.Serialize(round, EdgeJson.Options)).Append(newline).Append(newline);
                    valid.Add(round);
                    break;
                case 1:
                    var message = new SecAggServerMessage($"t{random.Next(100)}", random.Next(1000), "c" + random.Next(10), FuzzInputs.Bytes(random, 64));
                    text.Append("event: ").Append(EdgeApi.SecAggServerEvent).Append(newline).Append("data: ").Append(JsonSerializer.Serialize(message, EdgeJson.Options)).Append(newline).Append(newline);
                    valid.Add(message);
                    break;
                case 2: text.Append(": keep-alive").Append(newline).Append(newline); break;
                case 3: text.Append(newline); break;
                case 4: text.Append("event: ").Append(random.Next(3) switch { 0 => EdgeApi.RoundStartedEvent, 1 => EdgeApi.SecAggServerEvent, _ => FuzzInputs.Text(random).ReplaceLineEndings(" ") }).Append(newline); break;
                case 5:
                    // An event whose data cannot be a valid message: any JSON, a truncated or mutated message, or text.
                    var name = random.Next(2) == 0 ? EdgeApi.RoundStartedEvent : EdgeApi.SecAggServerEvent;
                    var sample = new SecAggServerMessage("t1", 1, "c0", [1, 2, 3]);
                    var data = random.Next(4) switch
                    {
                        0 => FuzzInputs.Json(random)?.ToJsonString() ?? "null",
                        1 => JsonSerializer.Serialize(sample, EdgeJson.Options)[..random.Next(10)],
                        2 => "{\"taskId\": " + JsonSerializer.Serialize(FuzzInputs.Text(random)) + ", \"round\": \"x\"}",
                        _ => FuzzInputs.Text(random).ReplaceLineEndings(" "),
                    };
                    text.Append("event: ").Append(name).Append(newline).Append("data: ").Append(data).Append(newline).Append(newline);
                    break;
                case 6: text.Append("data: ").Append(FuzzInputs.Text(random).ReplaceLineEndings(" ")).Append(newline); break; // data without an event: ignored
                case 7: text.Append("id: ").Append(random.Next()).Append(newline).Append("retry: 10").Append(newline); break;
                default: text.Append(FuzzInputs.Text(random).ReplaceLineEndings(" ")).Append(newline); break;
            }
        }
        return new PushStream(text.ToString(), valid);
    }
}
