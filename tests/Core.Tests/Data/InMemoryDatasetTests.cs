using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

/// <summary><see cref="InMemoryDataset"/> held as floats or as byte codes with a table: the same rows either way.</summary>
public class InMemoryDatasetTests
{
    private static readonly float[] Palette = Enumerable.Range(0, InMemoryDataset.PaletteSize).Select(b => (b / 255f - 0.5f) / 0.25f).ToArray();

    // Four rows of three values: codes 0..11 and the floats they stand for.
    private static (InMemoryDataset Coded, InMemoryDataset Floats) Pair()
    {
        var codes = Enumerable.Range(0, 12).Select(i => (byte)(i * 21)).ToArray();
        int[] labels = [0, 1, 2, 1];
        return (InMemoryDataset.FromCodes(codes, Palette, labels, [3], 3),
            new InMemoryDataset(codes.Select(c => Palette[c]).ToArray(), labels, [3], 3));
    }

    [Fact]
    public void Coded_rows_read_as_the_floats_their_codes_stand_for()
    {
        var (coded, floats) = Pair();

        var rows = new float[6];
        coded.CopyRows(1, 2, rows);
        var row = new float[3];
        coded.CopyRow(3, row);

        Assert.True(coded.IsCoded);
        Assert.False(floats.IsCoded);
        Assert.Equal(floats.Features[3..9], rows);
        Assert.Equal(floats.Row(3).ToArray(), row);
        Assert.Equal(floats.Features, coded.ToFloats());
        Assert.Equal(Palette[21 * 4], rows[1]);
    }

    [Fact]
    public void A_subset_of_a_coded_set_stays_coded_and_matches_the_float_subset()
    {
        var (coded, floats) = Pair();

        var subset = coded.Subset([3, 0]);

        Assert.True(subset.IsCoded);
        Assert.Equal(floats.Subset([3, 0]).Features, subset.ToFloats());
        Assert.Equal([1, 0], subset.Labels);
    }

    [Fact]
    public void Other_labels_keep_the_same_features()
    {
        var (coded, _) = Pair();

        var flipped = coded.WithLabels([2, 2, 0, 0]);

        Assert.True(flipped.IsCoded);
        Assert.Equal(coded.ToFloats(), flipped.ToFloats());
        Assert.Equal([2, 2, 0, 0], flipped.Labels);
        Assert.Throws<ArgumentException>(() => coded.WithLabels([0, 1]));
    }

    [Fact]
    public void A_coded_set_has_no_float_array_and_says_how_to_read_it()
    {
        var (coded, _) = Pair();

        var e = Assert.Throws<InvalidOperationException>(() => coded.Features);

        Assert.Contains("CopyRows", e.Message);
    }

    [Fact]
    public void Bad_codes_tables_and_row_ranges_are_refused()
    {
        var (coded, _) = Pair();

        Assert.Throws<ArgumentException>(() => InMemoryDataset.FromCodes(new byte[12], new float[255], [0, 1, 2, 1], [3], 3));
        Assert.Throws<ArgumentException>(() => InMemoryDataset.FromCodes(new byte[11], Palette, [0, 1, 2, 1], [3], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => coded.CopyRows(3, 2, new float[6]));
        Assert.Throws<ArgumentException>(() => coded.CopyRows(0, 2, new float[5]));
    }
}
