using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class ShamirSecretSharingTests
{
    private static ulong[] Points(int count) => [.. Enumerable.Range(1, count).Select(i => (ulong)i)];

    private static IEnumerable<int[]> Subsets(int n, int size)
    {
        if (size == 0)
        {
            yield return [];
            yield break;
        }
        for (var first = 0; first <= n - size; first++)
        {
            foreach (var rest in Subsets(n - first - 1, size - 1)) yield return [first, .. rest.Select(i => i + first + 1)];
        }
    }

    private static long Binomial(int n, int k) => k == 0 ? 1 : Binomial(n - 1, k - 1) * n / k;

    [Theory]
    [InlineData(16, 2, 4)]
    [InlineData(32, 3, 6)]
    [InlineData(32, 4, 7)]
    [InlineData(20, 5, 5)]
    public void Every_subset_of_t_shares_reconstructs_the_secret(int secretLength, int threshold, int holders)
    {
        using var random = new SeededRandomNumberGenerator(secretLength * 100 + threshold, "shamir");
        var secret = new byte[secretLength];
        random.GetBytes(secret);
        var shares = ShamirSecretSharing.Split(secret, threshold, Points(holders), random);

        var subsets = 0;
        foreach (var subset in Subsets(holders, threshold))
        {
            var chosen = subset.Select(i => shares[i]).ToList();
            Assert.True(ShamirSecretSharing.TryToBytes(ShamirSecretSharing.Interpolate(chosen), secretLength, out var recovered));
            Assert.Equal(secret, recovered);
            var decoded = ShamirSecretSharing.Decode(chosen, threshold);
            Assert.True(decoded.Succeeded);
            Assert.Empty(decoded.InconsistentShares);
            subsets++;
        }
        Assert.Equal(Binomial(holders, threshold), subsets);
    }

    [Fact]
    public void Fewer_than_t_shares_give_another_value_and_do_not_decode()
    {
        using var random = new SeededRandomNumberGenerator(11, "shamir");
        var secret = new byte[32];
        random.GetBytes(secret);
        const int t = 5;
        var shares = ShamirSecretSharing.Split(secret, t, Points(9), random);
        var elements = ShamirSecretSharing.ToElements(secret);

        foreach (var subset in Subsets(9, t - 1))
        {
            var chosen = subset.Select(i => shares[i]).ToList();
            var guess = ShamirSecretSharing.Interpolate(chosen);
            Assert.NotEqual(elements, guess);
            Assert.False(ShamirSecretSharing.TryToBytes(guess, secret.Length, out _) && guess.SequenceEqual(elements));
            Assert.False(ShamirSecretSharing.Decode(chosen, t).Succeeded);
        }
    }

    [Fact]
    public void Shares_off_the_polynomial_are_found_and_corrected_up_to_half_the_redundancy()
    {
        using var random = new SeededRandomNumberGenerator(13, "shamir");
        var secret = new byte[32];
        random.GetBytes(secret);
        const int t = 6, holders = 14; // corrects ⌊(14 − 6)/2⌋ = 4
        var shares = ShamirSecretSharing.Split(secret, t, Points(holders), random);

        var tampered = shares.Select(s => s with { Values = (Field127[])s.Values.Clone() }).ToList();
        foreach (var j in new[] { 0, 5, 9, 13 }) tampered[j].Values[j % 3] += Field127.FromUInt64(12345); // chunks 0, 2, 0, 1
        var decoded = ShamirSecretSharing.Decode(tampered, t);
        Assert.True(decoded.Succeeded);
        Assert.Equal(new[] { 0, 5, 9, 13 }, decoded.InconsistentShares);
        Assert.True(ShamirSecretSharing.TryToBytes(decoded.Secret, secret.Length, out var recovered));
        Assert.Equal(secret, recovered);

        // Each chunk is its own code word: five bad shares spread over chunks still decode (here ≤ 3 per chunk) ...
        tampered[2].Values[0] += Field127.One;
        var spread = ShamirSecretSharing.Decode(tampered, t);
        Assert.True(spread.Succeeded);
        Assert.Equal(new[] { 0, 2, 5, 9, 13 }, spread.InconsistentShares);

        // ... but five bad values in one chunk are beyond the decoding radius.
        foreach (var j in new[] { 5, 13 }) tampered[j].Values[0] += Field127.One;
        Assert.False(ShamirSecretSharing.Decode(tampered, t).Succeeded);
    }

    [Fact]
    public void Without_spare_shares_a_bad_share_goes_unnoticed_and_with_one_spare_it_is_detected_not_corrected()
    {
        using var random = new SeededRandomNumberGenerator(14, "shamir");
        var secret = ShamirSecretSharing.ToElements(new byte[] { 1, 2, 3 });
        var shares = ShamirSecretSharing.Split(secret, 3, Points(4), random).ToList();
        shares[3] = shares[3] with { Values = [shares[3].Values[0] + Field127.One] };

        var blind = ShamirSecretSharing.Decode(shares.Skip(1).ToList(), 3); // any 3 points fit a parabola
        Assert.True(blind.Succeeded);
        Assert.NotEqual(secret, blind.Secret); // which is why the protocol also checks secrets against commitments
        Assert.False(ShamirSecretSharing.Decode(shares, 3).Succeeded); // 4 shares, t = 3: caught, ⌊1/2⌋ = 0 correctable
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        using var random = new SeededRandomNumberGenerator(15, "shamir");
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Split(new byte[4], 2, new ulong[] { 1, 0, 2 }, random));
        Assert.Throws<ArgumentException>(() => ShamirSecretSharing.Split(new byte[4], 2, new ulong[] { 1, 2, 2 }, random));
        Assert.Throws<ArgumentOutOfRangeException>(() => ShamirSecretSharing.Split(new byte[4], 4, new ulong[] { 1, 2, 3 }, random));
        Assert.Equal(3, ShamirSecretSharing.ChunkCount(32));
        Assert.Equal(2, ShamirSecretSharing.ChunkCount(16));
    }
}
