using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class SecAggMaliciousShareTests
{
    private const int Clients = 20, Parameters = 2_000;

    private static SecAggParameters Full(int seed) => SecAggParameters.SecAgg(Clients, Parameters, 1.0, SecAggTestRounds.RoundSeed(seed));

    private static Dictionary<int, IReadOnlyCollection<int>> Map(int client, params int[] others) => new() { [client] = others };

    [Fact]
    public void A_dealer_sending_corrupted_ciphertexts_is_named_and_the_round_goes_on_without_those_shares()
    {
        var updates = SecAggTestRounds.Updates(Parameters, 1);
        var faults = new SecAggFaults { CorruptedShareCiphertexts = Map(3, 5, 9) };

        var run = SecAggSimulator.Run(Full(1), updates, faults: faults, randomSeed: 1);

        Assert.True(run.Succeeded, run.Failure?.Reason);
        var result = run.Result!;
        Assert.Equal([3], result.Misbehaving.Keys);
        Assert.Contains("holders 5, 9", result.Misbehaving[3]);
        // Its self mask was still recovered from the 18 holders with valid shares, so its input is in the sum.
        Assert.Equal(Enumerable.Range(0, Clients), result.IncludedClients);
        Assert.Empty(result.DroppedClients);
        SecAggTestRounds.AssertSumWithinBound(result, updates, Parameters);
    }

    [Fact]
    public void A_dealer_with_corrupted_shares_that_drops_is_unmasked_from_its_valid_shares()
    {
        var updates = SecAggTestRounds.Updates(Parameters, 8);
        var faults = new SecAggFaults { CorruptedShareCiphertexts = Map(3, 5, 9, 12) };
        var drop = new SecAggDropout([3, 14], DropoutStage.BeforeMaskedInput);

        var run = SecAggSimulator.Run(Full(8), updates, drop, faults, randomSeed: 8);

        Assert.True(run.Succeeded, run.Failure?.Reason);
        Assert.Equal([3, 14], run.Result!.DroppedClients);
        Assert.Contains("holders 5, 9, 12", run.Result.Misbehaving[3]);
        SecAggTestRounds.AssertSumWithinBound(run.Result, updates, Parameters);
    }

    [Fact]
    public void The_same_holds_in_SecAgg_plus()
    {
        const int clients = 40;
        var settings = SecAggParameters.SecAggPlus(clients, Parameters, 1.0, SecAggTestRounds.RoundSeed(2));
        var dealer = 17;
        var victims = settings.Graph.NeighboursOf(dealer).Take(2).ToArray();
        var updates = SecAggTestRounds.Updates(Parameters, 2);

        var run = SecAggSimulator.Run(settings, updates, faults: new SecAggFaults { CorruptedShareCiphertexts = Map(dealer, victims) });

        Assert.True(run.Succeeded, run.Failure?.Reason);
        Assert.Equal([dealer], run.Result!.Misbehaving.Keys);
        Assert.Contains(dealer, run.Result.IncludedClients);
        SecAggTestRounds.AssertSumWithinBound(run.Result, updates, Parameters);
    }

    [Fact]
    public void A_dealer_corrupting_too_many_shares_makes_the_round_fail_cleanly_naming_it()
    {
        // t = 11; the dealer's self-mask seed then has only 20 − 10 = 10 valid holders (itself included).
        var faults = new SecAggFaults { CorruptedShareCiphertexts = Map(3, [.. Enumerable.Range(4, 10)]) };

        var run = SecAggSimulator.Run(Full(3), SecAggTestRounds.Updates(Parameters, 3), faults: faults);

        Assert.Null(run.Result);
        Assert.Equal(SecAggFailureKind.TooFewShares, run.Failure!.Kind);
        Assert.Equal([3], run.Failure.Clients);
        Assert.Contains("dealt bad shares", run.Failure.Reason);
        for (var c = 0; c < Clients; c++) Assert.Equal(0, run.Costs.BytesSent(c, SecAggRound.Unmasking)); // stopped before any reveal
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Shares_off_the_dealers_polynomial_are_detected_and_corrected(bool dealerDrops)
    {
        // The dealer encrypts and commits to the bad shares, so holders cannot tell; reconstruction does.
        var updates = SecAggTestRounds.Updates(Parameters, 4);
        var faults = new SecAggFaults { OffPolynomialShares = Map(6, 1, 2, 11) };
        var drop = dealerDrops ? new SecAggDropout([6], DropoutStage.BeforeMaskedInput) : SecAggDropout.None;

        var run = SecAggSimulator.Run(Full(4), updates, drop, faults, randomSeed: 4);

        Assert.True(run.Succeeded, run.Failure?.Reason);
        var result = run.Result!;
        Assert.Equal([6], result.Misbehaving.Keys);
        Assert.Contains("not on one polynomial (holders 1, 2, 11)", result.Misbehaving[6]);
        Assert.Equal(!dealerDrops, result.IncludedClients.Contains(6)); // its secret was recovered, so its input counts
        SecAggTestRounds.AssertSumWithinBound(result, updates, Parameters);
    }

    [Fact]
    public void Too_many_shares_off_the_polynomial_fail_the_round_naming_the_dealer()
    {
        // 20 holders, t = 11: at most ⌊9/2⌋ = 4 bad shares can be corrected; 6 cannot.
        var faults = new SecAggFaults { OffPolynomialShares = Map(6, 0, 1, 2, 3, 4, 5) };

        var run = SecAggSimulator.Run(Full(5), SecAggTestRounds.Updates(Parameters, 5), faults: faults);

        Assert.Null(run.Result);
        Assert.Equal(SecAggFailureKind.InconsistentShares, run.Failure!.Kind);
        Assert.Equal([6], run.Failure.Clients);
        Assert.Contains("Client 6 dealt inconsistent shares", run.Failure.Reason);
    }

    [Fact]
    public void A_holder_revealing_a_corrupted_share_is_named_and_ignored()
    {
        var updates = SecAggTestRounds.Updates(Parameters, 6);
        var faults = new SecAggFaults { CorruptedRevealedShares = Map(7, 0, 8) };
        var drop = new SecAggDropout([8], DropoutStage.BeforeMaskedInput); // so 7 also reveals a masking-key share

        var run = SecAggSimulator.Run(Full(6), updates, drop, faults, randomSeed: 6);

        Assert.True(run.Succeeded, run.Failure?.Reason);
        var result = run.Result!;
        Assert.Equal([7], result.Misbehaving.Keys);
        Assert.Contains("does not match the dealer's commitment", result.Misbehaving[7]);
        Assert.Contains(7, result.IncludedClients); // its own input is fine; only its shares are discarded
        SecAggTestRounds.AssertSumWithinBound(result, updates, Parameters);
    }

    [Fact]
    public void Enough_holders_revealing_bad_shares_make_the_round_fail_cleanly()
    {
        var faults = new SecAggFaults
        {
            CorruptedRevealedShares = Enumerable.Range(0, 10).ToDictionary(h => h, h => (IReadOnlyCollection<int>)[(h + 1) % Clients]),
        };

        var run = SecAggSimulator.Run(Full(7), SecAggTestRounds.Updates(Parameters, 7), faults: faults);

        Assert.Null(run.Result);
        Assert.Equal(SecAggFailureKind.TooFewShares, run.Failure!.Kind);
    }

    [Fact]
    public void A_ShareKeys_message_missing_a_holder_is_refused_and_its_dealer_left_out()
    {
        const int n = 6, parameters = 300;
        var settings = SecAggParameters.SecAgg(n, parameters, 1.0, SecAggTestRounds.RoundSeed(9));
        var updates = SecAggTestRounds.Updates(parameters, 9);
        var clients = Enumerable.Range(0, n).Select(i => new SecAggClient(settings, i)).ToArray();
        using var server = new SecAggServer(settings);
        try
        {
            foreach (var c in clients) server.ReceiveAdvertiseKeys(c.AdvertiseKeys());
            foreach (var d in server.CloseAdvertiseKeys())
            {
                var message = clients[d.RecipientId].ShareKeys(d);
                if (d.RecipientId == 2) message = message with { Shares = [.. message.Shares.Skip(1)] };
                Assert.Equal(d.RecipientId != 2, server.ReceiveShareKeys(message));
            }
            var deliveries = server.CloseShareKeys();
            Assert.DoesNotContain(deliveries, d => d.RecipientId == 2);
            Assert.All(deliveries, d => Assert.DoesNotContain(d.Shares, s => s.DealerId == 2)); // nobody masks with 2
            foreach (var d in deliveries) server.ReceiveMaskedInput(clients[d.RecipientId].MaskInput(d, updates(d.RecipientId)));
            foreach (var r in server.CloseMaskedInput()) server.ReceiveUnmaskingResponse(clients[r.RecipientId].Unmask(r));
            var result = server.Finish();

            Assert.Equal([0, 1, 3, 4, 5], result.IncludedClients);
            Assert.Contains("one well-formed share per neighbour", result.Misbehaving[2]);
            SecAggTestRounds.AssertSumWithinBound(result, updates, parameters);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }
}
