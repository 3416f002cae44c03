using FlMicroservices.Core.Data;

namespace FlMicroservices.Training;

/// <summary>How a data set's rows become a model's input batches.</summary>
/// <remarks>
/// Rows are reshaped to the model's sample shape rather than the data set's, so data stored flat (784 floats)
/// feeds a model built for [1, 28, 28] as long as the feature counts agree.
/// </remarks>
internal static class ModelInput
{
    public static void Check(int[] sampleShape, int classCount, InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var features = sampleShape.Aggregate(1L, (a, d) => a * d);
        if (data.FeatureCount != features)
        {
            throw new ArgumentException(
                $"The model takes samples of shape [{string.Join(", ", sampleShape)}] ({features} features) but the data set has {data.FeatureCount} features per row.",
                nameof(data));
        }
        if (data.ClassCount > classCount)
            throw new ArgumentException($"The model has {classCount} classes but the data set has {data.ClassCount}.", nameof(data));
    }

    public static long[] BatchShape(int[] sampleShape, int rows)
    {
        var shape = new long[sampleShape.Length + 1];
        shape[0] = rows;
        for (var i = 0; i < sampleShape.Length; i++) shape[i + 1] = sampleShape[i];
        return shape;
    }
}
