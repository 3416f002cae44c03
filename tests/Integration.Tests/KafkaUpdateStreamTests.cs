using FlMicroservices.Contracts.Wire;
using Microsoft.Extensions.Configuration;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Integration.Tests;

/// <summary>The Kafka update stream against a Kafka-protocol broker: keying, ordering, commits and resumption.</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaUpdateStreamTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task Slice_i_of_every_client_lands_on_the_same_partition_and_arrives_intact()
    {
        using var stream = Stream(kafka.NewTopic("keys"));
        var sent = new List<UpdateSlice>();
        for (var c = 0; c < 4; c++)
        {
            var update = Enumerable.Range(0, 1000).Select(i => (float)(c * 1000 + i)).ToArray();
            foreach (var slice in UpdateSliceCodec.Slice("task", 1, $"client-{c}", update, 5, 128))
            {
                sent.Add(slice);
                await stream.ProduceAsync(slice, CancellationToken.None);
            }
        }

        var received = await ReadAsync(stream, "keys", sent.Count);

        Assert.Equal(sent.Count, received.Count);
        var partitionOfSlice = received.GroupBy(r => r.Slice.SliceIndex).ToDictionary(g => g.Key, g => g.Select(r => r.Record.Partition).Distinct().ToArray());
        Assert.All(partitionOfSlice, p => Assert.Single(p.Value));
        Assert.True(partitionOfSlice.Values.Select(p => p[0]).Distinct().Count() > 1, "the 8 slice indexes should spread over more than one partition");
        foreach (var original in sent)
        {
            var copy = received.Single(r => r.Slice.ClientId == original.ClientId && r.Slice.SliceIndex == original.SliceIndex).Slice;
            Assert.True(copy.Payload.Span.SequenceEqual(original.Payload.Span));
        }
    }

    [Fact]
    public async Task A_consumer_of_the_same_group_resumes_after_the_last_committed_record()
    {
        var topic = kafka.NewTopic("resume");
        using var stream = Stream(topic);
        var slices = UpdateSliceCodec.Slice("task", 1, "client-a", new float[64 * 10], 1, 64).ToList();
        foreach (var slice in slices) await stream.ProduceAsync(slice, CancellationToken.None);

        // First member reads everything but commits only the first 4 records of each partition it sees.
        var committed = new HashSet<(int, int)>();
        await using (var first = stream.Create("group"))
        {
            var seen = 0;
            var perPartition = new Dictionary<int, int>();
            await foreach (var record in first.ConsumeAsync(Timeout(30)))
            {
                var slice = UpdateSliceCodec.Decode(record.Value);
                perPartition[record.Partition] = perPartition.GetValueOrDefault(record.Partition) + 1;
                if (perPartition[record.Partition] <= 1)
                {
                    await first.CommitAsync(record, CancellationToken.None);
                    committed.Add((slice.SliceIndex, record.Partition));
                }
                if (++seen == slices.Count) break;
            }
        }

        var again = await ReadAsync(stream, "group", slices.Count - committed.Count);

        Assert.Equal(slices.Count - committed.Count, again.Count);
        Assert.DoesNotContain(again, r => committed.Contains((r.Slice.SliceIndex, r.Record.Partition)));
    }

    [Fact]
    public void A_missing_or_malformed_bootstrap_setting_stops_start_up_naming_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UpdateStream:Transport"] = "Kafka",
            ["ConnectionStrings:kafka"] = "no-port-here",
        }).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();

        var error = Assert.Throws<InvalidOperationException>(() => { Infrastructure.InfrastructureExtensions.AddFlInfrastructure(services, configuration); });

        Assert.Contains("ConnectionStrings:kafka", error.Message);
        Assert.Contains("no-port-here", error.Message);
    }

    private KafkaUpdateStream Stream(string topic) =>
        new(kafka.BootstrapServers, new UpdateStreamOptions { Transport = "Kafka", Topic = topic },
            ExternalCallResilience.Create("kafka", new ResilienceOptions(), KafkaUpdateStream.IsTransient), NullLoggerFactory.Instance);

    private static async Task<List<(StreamRecord Record, UpdateSlice Slice)>> ReadAsync(KafkaUpdateStream stream, string group, int count)
    {
        var received = new List<(StreamRecord, UpdateSlice)>();
        if (count == 0) return received;
        await using var consumer = stream.Create(group);
        await foreach (var record in consumer.ConsumeAsync(Timeout(60)))
        {
            received.Add((record, UpdateSliceCodec.Decode(record.Value)));
            await consumer.CommitAsync(record, CancellationToken.None);
            if (received.Count == count) break;
        }
        return received;
    }

    private static CancellationToken Timeout(int seconds) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;
}
