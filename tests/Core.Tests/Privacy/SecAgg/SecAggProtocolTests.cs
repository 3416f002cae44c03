using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class SecAggProtocolTests
{
    [Theory]
    [InlineData(false, 0.0, 30, 2_000, 0, 0)]
    [InlineData(false, 0.1, 30, 2_000, 0, 0)]
    [InlineData(false, 0.3, 40, 1_000, 0, 0)]
    [InlineData(true, 0.0, 50, 5_000, 0, 0)]
    [InlineData(true, 0.1, 50, 5_000, 0, 0)]
    [InlineData(true, 0.3, 50, 10_000, 20, 8)] // 30% dropout needs more redundancy than the default k = 12, t = 7
    public void The_secure_sum_equals_the_plain_sum_within_the_quantisation_bound(
        bool plus, double dropout, int clients, int parameters, int degree, int threshold)
    {
        var seed = SecAggTestRounds.RoundSeed(clients + (int)(dropout * 100));
        int? t = threshold == 0 ? null : threshold;
        var settings = plus
            ? SecAggParameters.SecAggPlus(clients, parameters, 1.0, seed, degree == 0 ? null : degree, t)
            : SecAggParameters.SecAgg(clients, parameters, 1.0, seed, t);
        Assert.Equal(plus, settings.IsSecAggPlus);
        var updates = SecAggTestRounds.Updates(parameters, clients);
        var drop = SecAggDropout.Random(clients, dropout, seed: 17);

        var run = SecAggSimulator.Run(settings, updates, drop, randomSeed: 1);

        Assert.True(run.Succeeded, run.Failure?.Reason);
        var result = run.Result!;
        Assert.Equal(Enumerable.Range(0, clients).Except(drop.Clients), result.IncludedClients);
        Assert.Equal(drop.Clients.Order(), result.DroppedClients);
        Assert.Empty(result.Misbehaving);
        Assert.Empty(run.ClientAborts);
        SecAggTestRounds.AssertSumWithinBound(result, updates, parameters);
    }

    [Theory]
    [InlineData(false, DropoutStage.BeforeShareKeys)]
    [InlineData(false, DropoutStage.BeforeUnmasking)]
    [InlineData(true, DropoutStage.BeforeShareKeys)]
    [InlineData(true, DropoutStage.BeforeUnmasking)]
    public void Dropping_at_other_stages_gives_the_right_sum_too(bool plus, DropoutStage stage)
    {
        const int clients = 32, parameters = 3_000;
        var seed = SecAggTestRounds.RoundSeed(99);
        var settings = plus
            ? SecAggParameters.SecAggPlus(clients, parameters, 1.0, seed)
            : SecAggParameters.SecAgg(clients, parameters, 1.0, seed);
        var updates = SecAggTestRounds.Updates(parameters, 5);
        var drop = SecAggDropout.Random(clients, 0.15, seed: 3, stage);

        var run = SecAggSimulator.Run(settings, updates, drop, randomSeed: 2);

        Assert.True(run.Succeeded, run.Failure?.Reason);
        // Clients that drop before unmasking already sent their masked inputs: they are in the sum.
        var expected = stage == DropoutStage.BeforeUnmasking
            ? Enumerable.Range(0, clients)
            : Enumerable.Range(0, clients).Except(drop.Clients);
        Assert.Equal(expected, run.Result!.IncludedClients);
        SecAggTestRounds.AssertSumWithinBound(run.Result, updates, parameters);
    }

    [Fact]
    public void Stochastic_rounding_stays_within_one_step_per_client()
    {
        var settings = SecAggParameters.SecAggPlus(24, 4_000, 0.5, SecAggTestRounds.RoundSeed(4), rounding: QuantizationRounding.Stochastic);
        var updates = SecAggTestRounds.Updates(4_000, 8, scale: 0.5f);
        var run = SecAggSimulator.Run(settings, updates, SecAggDropout.Random(24, 0.1, 4));
        Assert.True(run.Succeeded, run.Failure?.Reason);
        Assert.Equal(run.Result!.IncludedClients.Count * settings.Quantizer.Step, run.Result.ErrorBound);
        SecAggTestRounds.AssertSumWithinBound(run.Result, updates, 4_000);
    }

    [Fact]
    public void Inputs_beyond_the_clip_bound_are_clipped_not_wrapped()
    {
        const int clients = 10, parameters = 500;
        var settings = SecAggParameters.SecAgg(clients, parameters, 1.0, SecAggTestRounds.RoundSeed(5));
        var run = SecAggSimulator.Run(settings, _ => Enumerable.Repeat(1e6f, parameters).ToArray());
        Assert.True(run.Succeeded);
        Assert.All(run.Result!.Sum, s => Assert.Equal(clients, s, 1e-6));
    }

    [Fact]
    public void Below_the_threshold_the_round_fails_with_a_reason_and_no_share_or_sum_is_revealed()
    {
        const int clients = 20, parameters = 1_000;
        var settings = SecAggParameters.SecAgg(clients, parameters, 1.0, SecAggTestRounds.RoundSeed(6));
        Assert.Equal(11, settings.Threshold);
        var drop = new SecAggDropout([.. Enumerable.Range(0, 10)], DropoutStage.BeforeMaskedInput);

        var run = SecAggSimulator.Run(settings, SecAggTestRounds.Updates(parameters, 6), drop);

        Assert.False(run.Succeeded);
        Assert.Null(run.Result);
        Assert.Equal(SecAggFailureKind.TooFewSurvivors, run.Failure!.Kind);
        Assert.Contains("fewer than the threshold t = 11", run.Failure.Reason);
        Assert.Contains("no sum is computed", run.Failure.Reason);
        for (var c = 0; c < clients; c++) Assert.Equal(0, run.Costs.BytesSent(c, SecAggRound.Unmasking)); // nobody was asked
    }

    [Fact]
    public void A_SecAgg_plus_neighbourhood_below_the_threshold_fails_naming_the_client()
    {
        const int clients = 40, parameters = 1_000;
        var settings = SecAggParameters.SecAggPlus(clients, parameters, 1.0, SecAggTestRounds.RoundSeed(7));
        var isolated = 13;
        var drop = new SecAggDropout([.. settings.Graph.NeighboursOf(isolated)], DropoutStage.BeforeMaskedInput);

        var run = SecAggSimulator.Run(settings, SecAggTestRounds.Updates(parameters, 7), drop);

        Assert.Null(run.Result);
        Assert.Equal(SecAggFailureKind.TooFewSurvivors, run.Failure!.Kind);
        Assert.Equal(new[] { isolated }, run.Failure.Clients);
    }

    [Fact]
    public void Too_many_holders_leaving_during_unmasking_fails_cleanly()
    {
        const int clients = 20, parameters = 1_000;
        var settings = SecAggParameters.SecAgg(clients, parameters, 1.0, SecAggTestRounds.RoundSeed(8));
        var drop = new SecAggDropout([.. Enumerable.Range(5, 10)], DropoutStage.BeforeUnmasking);

        var run = SecAggSimulator.Run(settings, SecAggTestRounds.Updates(parameters, 8), drop);

        Assert.Null(run.Result);
        Assert.Equal(SecAggFailureKind.TooFewShares, run.Failure!.Kind);
        Assert.Contains("fewer than the threshold", run.Failure.Reason);
    }

    [Fact]
    public void Too_few_clients_sharing_keys_stops_the_round_before_any_masking()
    {
        var settings = SecAggParameters.SecAgg(10, 100, 1.0, SecAggTestRounds.RoundSeed(9));
        var drop = new SecAggDropout([0, 1, 2, 3, 4], DropoutStage.BeforeShareKeys);
        var run = SecAggSimulator.Run(settings, SecAggTestRounds.Updates(100, 9), drop);
        Assert.Null(run.Result);
        Assert.Equal(SecAggFailureKind.TooFewSurvivors, run.Failure!.Kind);
        for (var c = 0; c < 10; c++) Assert.Equal(0, run.Costs.BytesSent(c, SecAggRound.MaskedInput));
    }

    [Fact]
    public void Driving_the_protocol_by_hand_and_an_honest_client_refusing_to_reveal_both_secrets()
    {
        const int n = 4, parameters = 64;
        var settings = SecAggParameters.SecAgg(n, parameters, 1.0, SecAggParameters.NewRoundSeed(), threshold: 3);
        var updates = SecAggTestRounds.Updates(parameters, 10);
        var clients = Enumerable.Range(0, n).Select(i => new SecAggClient(settings, i)).ToArray();
        using var server = new SecAggServer(settings);
        try
        {
            foreach (var c in clients) Assert.True(server.ReceiveAdvertiseKeys(c.AdvertiseKeys()));
            foreach (var d in server.CloseAdvertiseKeys()) Assert.True(server.ReceiveShareKeys(clients[d.RecipientId].ShareKeys(d)));
            foreach (var d in server.CloseShareKeys().Where(d => d.RecipientId != 3)) // client 3 drops
                Assert.True(server.ReceiveMaskedInput(clients[d.RecipientId].MaskInput(d, updates(d.RecipientId))));
            var requests = server.CloseMaskedInput();
            Assert.Equal(new[] { 0, 1, 2 }, requests.Select(r => r.RecipientId));
            Assert.All(requests, r => Assert.Equal(new[] { 3 }, r.Dropped));

            // A curious server asks client 0 for both secrets of client 1: refused.
            var greedy = new UnmaskingRequest(0, [0, 1, 2], [1, 3]);
            var refusal = Assert.Throws<SecAggAbortedException>(() => clients[0].Unmask(greedy));
            Assert.Equal(SecAggFailureKind.ProtocolViolation, refusal.Kind);

            foreach (var r in requests.Skip(1)) Assert.True(server.ReceiveUnmaskingResponse(clients[r.RecipientId].Unmask(r)));
            // Client 0 refused, so only 2 holders answer: below t = 3 for everyone.
            var failure = Assert.Throws<SecAggAbortedException>(server.Finish);
            Assert.Equal(SecAggFailureKind.TooFewShares, failure.Kind);
            Assert.Throws<InvalidOperationException>(server.Finish); // nothing left to compute
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public void Bytes_are_counted_per_round_and_the_masked_vector_costs_what_a_float_vector_costs()
    {
        const int clients = 12, parameters = 1_000;
        var settings = SecAggParameters.SecAggPlus(clients, parameters, 1.0, SecAggTestRounds.RoundSeed(11));
        var run = SecAggSimulator.Run(settings, SecAggTestRounds.Updates(parameters, 11));
        Assert.True(run.Succeeded);
        var k = settings.Degree;
        for (var c = 0; c < clients; c++)
        {
            Assert.Equal(165, run.Costs.BytesSent(c, SecAggRound.AdvertiseKeys));
            Assert.Equal(41 + 132 * k, run.Costs.BytesSent(c, SecAggRound.ShareKeys));
            Assert.Equal(13 + 4 * parameters, run.Costs.BytesSent(c, SecAggRound.MaskedInput)); // no complaints
            Assert.Equal(13 + 36 * (k + 1), run.Costs.BytesSent(c, SecAggRound.Unmasking)); // b shares of k + 1 survivors
            Assert.Equal(9 + 164 * k, run.Costs.BytesReceived(c, SecAggRound.ShareKeys));
            Assert.True(run.Costs.TotalClientTime(c) > TimeSpan.Zero);
        }
        Assert.True(run.Costs.TotalServerTime > TimeSpan.Zero);
    }

    [Fact]
    public void Parameters_are_validated()
    {
        var seed = SecAggTestRounds.RoundSeed(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => SecAggParameters.SecAgg(2, 10, 1.0, seed));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecAggParameters.SecAgg(10, 0, 1.0, seed));
        Assert.Throws<ArgumentException>(() => SecAggParameters.SecAgg(10, 10, 1.0, new byte[16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecAggParameters.SecAgg(10, 10, 1.0, seed, threshold: 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecAggParameters.SecAgg(10, 10, 1.0, seed, threshold: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SecAggParameters.SecAgg(10, 10, 0, seed));
        var plus = SecAggParameters.SecAggPlus(100, 10, 1.0, seed);
        Assert.Equal(14, plus.Degree);
        Assert.Equal(8, plus.Threshold); // ⌊15/2⌋ + 1
        Assert.Equal(plus.HoldersOf(0).Length, plus.Degree + 1);
        Assert.NotEqual(plus.SessionId.ToArray(), SecAggParameters.SecAggPlus(100, 11, 1.0, seed).SessionId.ToArray());
    }
}
