using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

/// <summary>
/// The server's sliced masked-input API (a masked vector that arrives in pieces, as from the update stream) and the mapping
/// of a platform round to protocol parameters that the aggregation service and the nodes compute independently.
/// </summary>
public sealed class SecAggSlicedInputAndSetupTests
{
    private const int Parameters = 1_000;

    [Fact]
    public void Pieces_in_any_order_give_the_same_sum_as_whole_vectors()
    {
        var parameters = SecAggParameters.SecAgg(5, Parameters, 1.0, SecAggTestRounds.RoundSeed(3));
        var updates = SecAggTestRounds.Updates(Parameters, 3);
        var whole = Run(parameters, updates, (server, masked) => server.ReceiveMaskedInput(masked));
        var sliced = Run(parameters, updates, (server, masked) =>
        {
            // Slices of 300 (the last one 100), handed over last first.
            var pieces = Enumerable.Range(0, 4).Select(i => new MaskedSlice(i * 300, masked.MaskedVector.AsMemory(i * 300, Math.Min(300, Parameters - i * 300))))
                .Reverse().ToArray();
            return server.ReceiveMaskedInput(masked.ClientId, masked.Complaints, pieces);
        });

        Assert.Equal(whole.Sum, sliced.Sum);
        SecAggTestRounds.AssertSumWithinBound(sliced, updates, Parameters);
    }

    [Theory]
    [InlineData("gap")]
    [InlineData("overlap")]
    [InlineData("short")]
    [InlineData("long")]
    [InlineData("none")]
    public void Pieces_that_do_not_cover_the_vector_exactly_once_are_refused_and_the_sender_named(string defect)
    {
        var parameters = SecAggParameters.SecAgg(3, Parameters, 1.0, SecAggTestRounds.RoundSeed(4));
        var clients = Enumerable.Range(0, 3).Select(i => new SecAggClient(parameters, i)).ToArray();
        using var server = new SecAggServer(parameters);
        foreach (var c in clients) server.ReceiveAdvertiseKeys(c.AdvertiseKeys());
        var directories = server.CloseAdvertiseKeys();
        foreach (var d in directories) server.ReceiveShareKeys(clients[d.RecipientId].ShareKeys(d));
        var deliveries = server.CloseShareKeys();
        var masked = clients[0].MaskInput(deliveries.Single(d => d.RecipientId == 0), new float[Parameters]);
        var v = masked.MaskedVector.AsMemory();
        MaskedSlice[] pieces = defect switch
        {
            "gap" => [new(0, v[..400]), new(500, v[500..])],
            "overlap" => [new(0, v[..600]), new(500, v[500..])],
            "short" => [new(0, v[..999])],
            "long" => [new(0, v), new(1_000, v[..1])],
            _ => [],
        };

        Assert.False(server.ReceiveMaskedInput(0, masked.Complaints, pieces));
        Assert.Equal("sent a masked input of the wrong length", server.Misbehaving[0]);
        Assert.Empty(server.MaskedInputsReceived);
    }

    [Fact]
    public void The_setup_numbers_participants_in_ordinal_order_and_both_sides_derive_the_same_parameters()
    {
        string[] participants = ["node-b", "node-a", "Node-c", "node-a2"];
        var aggregator = SecAggRoundSetup.Create("task", 3, 2, 7, participants, 500, secAggPlus: false, 0.5);
        var node = SecAggRoundSetup.Create("task", 3, 2, 7, participants.Reverse(), 500, secAggPlus: false, 0.5);

        Assert.Equal(["Node-c", "node-a", "node-a2", "node-b"], aggregator.Clients);
        Assert.True(aggregator.TryGetSlot("node-a2", out var slot));
        Assert.Equal(2, slot);
        Assert.Equal("node-b", aggregator.ClientOf(3));
        Assert.False(aggregator.TryGetSlot("stranger", out _));
        Assert.Equal(aggregator.Parameters.SessionId.ToArray(), node.Parameters.SessionId.ToArray());
        Assert.Equal(3, aggregator.Parameters.Degree); // full SecAgg: n - 1
        Assert.Equal(3, aggregator.Parameters.Threshold); // strict majority of 4 holders
    }

    [Fact]
    public void Every_task_round_and_base_model_gets_its_own_round_seed()
    {
        var seed = SecAggRoundSetup.DeriveRoundSeed("task", 3, 2, 7);
        Assert.Equal(SecAggParameters.RoundSeedBytes, seed.Length);
        Assert.Equal(seed, SecAggRoundSetup.DeriveRoundSeed("task", 3, 2, 7));
        Assert.NotEqual(seed, SecAggRoundSetup.DeriveRoundSeed("task", 4, 2, 7));
        Assert.NotEqual(seed, SecAggRoundSetup.DeriveRoundSeed("task", 3, 3, 7));
        Assert.NotEqual(seed, SecAggRoundSetup.DeriveRoundSeed("task", 3, 2, 8));
        Assert.NotEqual(seed, SecAggRoundSetup.DeriveRoundSeed("task2", 3, 2, 7));
    }

    [Fact]
    public void SecAgg_plus_takes_the_degree_and_threshold_and_a_bad_setting_is_refused_with_the_reason()
    {
        var ids = Enumerable.Range(0, 20).Select(i => $"c{i:D2}").ToArray();
        var plus = SecAggRoundSetup.Create("t", 1, 0, 1, ids, 100, secAggPlus: true, 1.0, threshold: 4, degree: 6);
        Assert.True(plus.Parameters.IsSecAggPlus);
        Assert.Equal(6, plus.Parameters.Degree);
        Assert.Equal(4, plus.Parameters.Threshold);

        var two = Assert.Throws<ArgumentException>(() => SecAggRoundSetup.Create("t", 1, 0, 1, ["a", "b"], 100, false, 1.0));
        Assert.Contains("at least 3 participants", two.Message);
        var twice = Assert.Throws<ArgumentException>(() => SecAggRoundSetup.Create("t", 1, 0, 1, ["a", "b", "a"], 100, false, 1.0));
        Assert.Contains("'a' is listed twice", twice.Message);
        var threshold = Assert.ThrowsAny<ArgumentException>(() => SecAggRoundSetup.Create("t", 1, 0, 1, ["a", "b", "c"], 100, false, 1.0, threshold: 4));
        Assert.Contains("threshold", threshold.Message);
        Assert.ThrowsAny<ArgumentException>(() => SecAggRoundSetup.Create("t", 1, 0, 1, ["a", "b", "c"], 100, false, clipBound: 0));
    }

    private static SecAggResult Run(SecAggParameters parameters, Func<int, float[]> updates, Func<SecAggServer, MaskedInput, bool> receive)
    {
        var n = parameters.ClientCount;
        var clients = Enumerable.Range(0, n)
            .Select(i => new SecAggClient(parameters, i, new SecAggClientOptions { Random = new SeededRandomNumberGenerator(100 + i) }))
            .ToArray();
        using var server = new SecAggServer(parameters);
        foreach (var c in clients) Assert.True(server.ReceiveAdvertiseKeys(c.AdvertiseKeys()));
        foreach (var d in server.CloseAdvertiseKeys()) Assert.True(server.ReceiveShareKeys(clients[d.RecipientId].ShareKeys(d)));
        foreach (var d in server.CloseShareKeys()) Assert.True(receive(server, clients[d.RecipientId].MaskInput(d, updates(d.RecipientId))));
        foreach (var r in server.CloseMaskedInput()) Assert.True(server.ReceiveUnmaskingResponse(clients[r.RecipientId].Unmask(r)));
        return server.Finish();
    }
}
