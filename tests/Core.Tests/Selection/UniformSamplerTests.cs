using FlMicroservices.Core.Selection;

namespace FlMicroservices.Core.Tests.Selection;

public class UniformSamplerTests
{
    [Theory]
    [InlineData(100, 0.1, 1, 10)]
    [InlineData(30, 0.34, 1, 10)]
    [InlineData(10, 0.01, 1, 1)]
    [InlineData(10, 0.1, 3, 3)]
    [InlineData(2, 1.0, 5, 2)]
    public void Participant_count_follows_the_fraction_with_a_floor(int available, double fraction, int minimum, int expected) =>
        Assert.Equal(expected, UniformSampler.ParticipantCount(available, fraction, minimum));

    [Fact]
    public void Sampling_draws_distinct_clients_and_repeats_for_a_seed()
    {
        var ids = Enumerable.Range(0, 50).Select(i => $"c{i}").ToArray();

        var first = UniformSampler.Sample(ids, 10, new Random(3));
        var again = UniformSampler.Sample(ids, 10, new Random(3));
        var other = UniformSampler.Sample(ids, 10, new Random(4));

        Assert.Equal(10, first.Distinct().Count());
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.Throws<ArgumentOutOfRangeException>(() => UniformSampler.Sample(ids, 51, new Random(1)));
    }

    [Fact]
    public void Every_client_is_picked_about_equally_often()
    {
        var ids = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        var counts = new int[10];
        var rng = new Random(11);
        for (var trial = 0; trial < 10_000; trial++)
            foreach (var id in UniformSampler.Sample(ids, 3, rng)) counts[int.Parse(id[1..])]++;

        // each is picked with probability 0.3: 3000 expected, binomial sd ~46
        Assert.All(counts, c => Assert.InRange(c, 2800, 3200));
    }
}
