using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>Slices and manifests for rounds that never open are bounded in bytes and count, expire, and do not pin the stream's commits.</summary>
public sealed class HeldUpdateLimitTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-held-" + Guid.NewGuid().ToString("N"));
    private HarnessHost _bus = null!;

    public async Task InitializeAsync() => _bus = await HarnessHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static UpdateSlice Slice(string client, int round, int index, int elements = 1024) =>
        new("ghost", round, client, index, 1000, (long)index * elements, 1.0, ElementType.Float32, new byte[elements * 4]);

    private static UpdateSubmitted Manifest(string client, int round) =>
        new("ghost", round, client, 10, 1, 1024, "digest", null, new LocalMetrics(0.5, 1, 1));

    [Fact]
    public void The_byte_budget_refuses_the_slice_that_would_pass_it_and_taking_a_round_frees_its_bytes()
    {
        var registry = new RoundRegistry(Options.Create(new AggregationOptions { HeldSliceBudgetBytes = 1 << 20 }), new ManualClock());

        var kept = Enumerable.Range(0, 300).Count(i => registry.HoldSlice(Slice("c" + i, 7 + i % 2, i, elements: 1024), null)); // 4 KiB each

        Assert.Equal(256, kept); // 256 x 4 KiB = the 1 MiB budget
        Assert.Equal(1L << 20, registry.HeldSliceBytes);
        var (slices, _, _) = registry.TakeHeld(("ghost", 7));
        Assert.Equal(128, slices.Count);
        Assert.Equal(128 * 4096, registry.HeldSliceBytes);
        Assert.True(registry.HoldSlice(Slice("late", 9, 0), null)); // room again
    }

    [Fact]
    public void What_waited_longer_than_the_lifetime_expires_per_round_and_the_rest_stays()
    {
        var clock = new ManualClock();
        var registry = new RoundRegistry(Options.Create(new AggregationOptions { HeldLifetime = TimeSpan.FromMinutes(5) }), clock);
        for (var i = 0; i < 3; i++) registry.HoldSlice(Slice("old" + i, 4, i), null);
        Assert.True(registry.HoldManifest(Manifest("old0", 4)));
        clock.Advance(TimeSpan.FromMinutes(3));
        registry.HoldSlice(Slice("new", 5, 0), null);
        registry.HoldManifest(Manifest("new", 5));

        Assert.Empty(registry.ExpireHeld()); // nothing is 5 minutes old yet
        clock.Advance(TimeSpan.FromMinutes(2));
        var expired = registry.ExpireHeld();

        Assert.Equal([new ExpiredHold("ghost", 4, 3, 1)], expired);
        Assert.Equal("new", Assert.Single(registry.HeldSlices()).Slice.ClientId);
        Assert.Equal(5, Assert.Single(registry.HeldManifests()).Round);
        Assert.Equal(4096, registry.HeldSliceBytes);
    }

    [Fact]
    public void Manifests_for_unknown_rounds_stop_at_their_count_limit()
    {
        var registry = new RoundRegistry();
        var kept = 0;
        for (var i = 0; i < RoundRegistry.MaxHeldManifests + 10; i++)
            if (registry.HoldManifest(Manifest("c" + i, 1 + i % 1000))) kept++;
        Assert.Equal(RoundRegistry.MaxHeldManifests, kept);
    }

    [Fact]
    public async Task A_flood_of_slices_for_a_round_that_never_starts_stays_under_the_budget_then_expires_and_is_committed()
    {
        const long Budget = 4L << 20; // 4 MiB
        var stream = new InProcessUpdateStream(2);
        var options = new AggregationOptions { CheckpointDirectory = "", HeldSliceBudgetBytes = Budget, HeldLifetime = TimeSpan.FromSeconds(2) };
        await using var aggregation = await AggregationInstance.StartAsync(_bus.Bus, new FileModelStore(_root), options, stream);
        await aggregation.StartIngestionAsync();

        // 1,200 slices of 64 Ki elements (256 KiB payload each, 300 MiB in all), as in the report that grew memory by 474 MB.
        for (var i = 0; i < 1200; i++)
            await stream.ProduceAsync(Slice("flood" + (i % 40), 1000 + i / 40, i % 40, elements: UpdateSliceCodec.MaxElements), CancellationToken.None);

        var maxHeld = 0L;
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (aggregation.Ingestion.RecordsRead < 1200 && DateTime.UtcNow < deadline)
        {
            maxHeld = Math.Max(maxHeld, aggregation.Registry.HeldSliceBytes);
            await Task.Delay(20);
        }
        Assert.Equal(1200, aggregation.Ingestion.RecordsRead);
        Assert.InRange(Math.Max(maxHeld, aggregation.Registry.HeldSliceBytes), 0, Budget);

        // Once they expire nothing waits any more and every record is committed, so the stream lets go of all of them.
        await Eventually.TrueAsync(() => aggregation.Registry.HeldSliceCount == 0 && stream.RetainedBytes == 0, TimeSpan.FromMinutes(1),
            "the expired slices to be dropped and every record committed");
        Assert.Equal(0, aggregation.Registry.HeldSliceBytes);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
