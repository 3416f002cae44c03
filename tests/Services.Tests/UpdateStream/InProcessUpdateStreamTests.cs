using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;

namespace FlMicroservices.Services.Tests.UpdateStream;

public class InProcessUpdateStreamTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(250);

    private static UpdateSlice Slice(int index, int sliceCount = 8, string client = "client-1") =>
        new("task-1", 1, client, index, sliceCount, index * 2L, 10, ElementType.Float32,
            UpdateSliceCodec.Slice("task-1", 1, client, new[] { index + 0.5f, -index - 0.25f }, 10, 2).Single().Payload);

    private static async Task ProduceAllAsync(InProcessUpdateStream stream, int count)
    {
        for (var i = 0; i < count; i++) await stream.ProduceAsync(Slice(i), CancellationToken.None);
    }

    /// <summary>Reads exactly <paramref name="count"/> records, failing (not hanging) if they do not come within 5 s.</summary>
    private static async Task<List<StreamRecord>> ReadAsync(IUpdateStreamConsumer consumer, int count)
    {
        var records = new List<StreamRecord>();
        using var cts = new CancellationTokenSource(Timeout);
        await foreach (var record in consumer.ConsumeAsync(cts.Token))
        {
            records.Add(record);
            if (records.Count == count) break;
        }
        Assert.True(records.Count == count, $"expected {count} records within {Timeout}, got {records.Count}");
        return records;
    }

    /// <summary>Reads whatever is available until the stream has been quiet for a moment.</summary>
    private static async Task<List<StreamRecord>> DrainAsync(IUpdateStreamConsumer consumer)
    {
        var records = new List<StreamRecord>();
        using var cts = new CancellationTokenSource(Quiet);
        await foreach (var record in consumer.ConsumeAsync(cts.Token)) records.Add(record);
        return records;
    }

    [Fact]
    public async Task Slice_i_lands_in_partition_i_mod_4_and_order_is_kept_within_a_partition()
    {
        var stream = new InProcessUpdateStream(4);
        await ProduceAllAsync(stream, 8);
        await using var consumer = stream.Create("aggregation");

        var records = await ReadAsync(consumer, 8);

        Assert.Equal(4, stream.PartitionCount);
        foreach (var record in records)
        {
            var slice = UpdateSliceCodec.Decode(record.Value);
            Assert.Equal(slice.SliceIndex % 4, record.Partition);
            Assert.Equal(slice.SliceIndex / 4, record.Offset);
            Assert.Equal([slice.SliceIndex + 0.5f, -slice.SliceIndex - 0.25f], slice.ToFloats());
        }
        for (var p = 0; p < 4; p++)
        {
            var inPartition = records.Where(r => r.Partition == p).Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex).ToArray();
            Assert.Equal([p, p + 4], inPartition);
            Assert.Equal([0L, 1L], records.Where(r => r.Partition == p).Select(r => r.Offset));
        }
        Assert.Equal(Enumerable.Range(0, 8), records.Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex).Order());
    }

    [Fact]
    public async Task Keys_beyond_the_partition_count_and_negative_keys_still_map_to_a_partition()
    {
        var stream = new InProcessUpdateStream(3);
        await stream.ProduceRawAsync(7, [1], CancellationToken.None);
        await stream.ProduceRawAsync(-1, [2], CancellationToken.None);
        await using var consumer = stream.Create("g");

        var records = await ReadAsync(consumer, 2);

        Assert.Equal(1, records.Single(r => r.Value.Span[0] == 1).Partition);
        Assert.Equal((int)(uint.MaxValue % 3u), records.Single(r => r.Value.Span[0] == 2).Partition);
    }

    [Fact]
    public async Task A_second_consumer_of_the_group_resumes_after_the_committed_offset()
    {
        var stream = new InProcessUpdateStream(4);
        await ProduceAllAsync(stream, 8);
        var first = stream.Create("aggregation");
        var seen = await ReadAsync(first, 8);
        // Processed and committed: slices 0..5 (offset 0 of every partition, offset 1 of partitions 0 and 1).
        foreach (var record in seen.Where(r => UpdateSliceCodec.Decode(r.Value).SliceIndex <= 5))
            await first.CommitAsync(record, CancellationToken.None);
        await first.DisposeAsync();

        await using var second = stream.Create("aggregation");
        var resumed = await DrainAsync(second);

        Assert.Equal([6, 7], resumed.Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex).Order());
        Assert.Equal([(2, 1L), (3, 1L)], resumed.Select(r => (r.Partition, r.Offset)).Order());
    }

    [Fact]
    public async Task Committing_a_later_record_commits_everything_before_it_in_its_partition()
    {
        var stream = new InProcessUpdateStream(4);
        await ProduceAllAsync(stream, 8);
        var first = stream.Create("g");
        var seen = await ReadAsync(first, 8);
        await first.CommitAsync(seen.Single(r => r.Partition == 1 && r.Offset == 1), CancellationToken.None); // slice 5 only
        await first.DisposeAsync();

        await using var second = stream.Create("g");
        var resumed = await DrainAsync(second);

        Assert.Equal([0, 2, 3, 4, 6, 7], resumed.Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex).Order());
    }

    [Fact]
    public async Task A_record_produced_while_the_consumer_waits_is_delivered()
    {
        var stream = new InProcessUpdateStream(4);
        await using var consumer = stream.Create("g");
        var reading = ReadAsync(consumer, 3);

        await Task.Delay(50);
        await stream.ProduceAsync(Slice(2), CancellationToken.None);
        await Task.Delay(20);
        await stream.ProduceAsync(Slice(6), CancellationToken.None);
        await stream.ProduceAsync(Slice(3), CancellationToken.None);
        var records = await reading;

        Assert.Equal([2, 3, 6], records.Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex).Order());
        Assert.Equal([2, 6], records.Where(r => r.Partition == 2).Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex));
    }

    [Fact]
    public async Task Two_groups_each_see_every_record()
    {
        var stream = new InProcessUpdateStream(4);
        await using var aggregation = stream.Create("aggregation");
        await using var audit = stream.Create("audit");
        await ProduceAllAsync(stream, 8);

        var a = await ReadAsync(aggregation, 8);
        foreach (var record in a) await aggregation.CommitAsync(record, CancellationToken.None);
        var b = await DrainAsync(audit);

        Assert.Equal(Enumerable.Range(0, 8), a.Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex).Order());
        Assert.Equal(Enumerable.Range(0, 8), b.Select(r => UpdateSliceCodec.Decode(r.Value).SliceIndex).Order());
        Assert.Empty(await DrainAsync(stream.Create("aggregation"))); // everything of "aggregation" is committed
    }

    [Fact]
    public async Task Retained_bytes_drop_only_after_every_group_has_committed()
    {
        var stream = new InProcessUpdateStream(4);
        var a = stream.Create("a");
        var b = stream.Create("b");
        Assert.Equal(0, stream.RetainedBytes);
        await ProduceAllAsync(stream, 8);
        var total = Enumerable.Range(0, 8).Sum(i => (long)UpdateSliceCodec.EncodedLength(Slice(i)));
        Assert.Equal(total, stream.RetainedBytes);

        foreach (var record in await ReadAsync(a, 8)) await a.CommitAsync(record, CancellationToken.None);
        Assert.Equal(total, stream.RetainedBytes); // b still needs them

        var readByB = await ReadAsync(b, 8);
        foreach (var record in readByB.Where(r => r.Partition == 0)) await b.CommitAsync(record, CancellationToken.None);
        var partition0 = UpdateSliceCodec.EncodedLength(Slice(0)) + UpdateSliceCodec.EncodedLength(Slice(4));
        Assert.Equal(total - partition0, stream.RetainedBytes);

        foreach (var record in readByB) await b.CommitAsync(record, CancellationToken.None);
        Assert.Equal(0, stream.RetainedBytes);

        await stream.ProduceAsync(Slice(1), CancellationToken.None);
        Assert.Equal(UpdateSliceCodec.EncodedLength(Slice(1)), stream.RetainedBytes);
        var next = await ReadAsync(a, 1); // a keeps reading after the released records
        Assert.Equal((1, 2L), (next[0].Partition, next[0].Offset));
        await a.DisposeAsync();
        await b.DisposeAsync();
    }

    [Fact]
    public async Task Raw_garbage_is_delivered_as_a_record_and_the_consumer_decides()
    {
        var stream = new InProcessUpdateStream(4);
        byte[] garbage = [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01];
        await stream.ProduceRawAsync(5, garbage, CancellationToken.None);
        await stream.ProduceAsync(Slice(1), CancellationToken.None);
        await using var consumer = stream.Create("aggregation");

        var records = await ReadAsync(consumer, 2);

        Assert.All(records, r => Assert.Equal(1, r.Partition));
        Assert.Equal(garbage, records[0].Value.ToArray());
        Assert.Equal(0, records[0].Offset);
        Assert.Throws<MalformedSliceException>(() => UpdateSliceCodec.Decode(records[0].Value));
        Assert.Equal(1, UpdateSliceCodec.Decode(records[1].Value).SliceIndex);
    }

    [Fact]
    public async Task Consuming_ends_quietly_when_cancelled()
    {
        var stream = new InProcessUpdateStream(2);
        await using var consumer = stream.Create("g");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var records = await DrainAsync(consumer);

        Assert.Empty(records);
        Assert.True(watch.Elapsed < Timeout);
    }

    [Fact]
    public void Invalid_arguments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InProcessUpdateStream(0));
        Assert.Throws<ArgumentException>(() => new InProcessUpdateStream(2).Create(""));
    }
}
