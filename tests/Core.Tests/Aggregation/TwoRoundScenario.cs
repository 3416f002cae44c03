using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>
/// The small two-round case every hand-computed strategy test uses: 3 parameters in slices of 2 (slices {0, 1} and {2}).
/// </summary>
/// <remarks>
/// Round 1: x0 = [1, 2, 3]; a (weight 1) sends [1, -2, 0], b (weight 3) sends [-1, 2, 0];
/// mean delta D1 = [(1 - 3) / 4, (-2 + 6) / 4, 0] = [-0.5, 1, 0].
/// Round 2 (from the round-1 result): a (weight 2) sends [0, -1, 0.2], b and c (weight 1 each) send [0.05, 0, 0];
/// mean delta D2 = [0.1 / 4, -2 / 4, 0.4 / 4] = [0.025, -0.5, 0.1].
/// </remarks>
internal static class TwoRoundScenario
{
    public const int SliceElements = 2;

    public static float[] Start => [1f, 2f, 3f];

    public static (string, float[], double)[] Round1 => [("a", [1f, -2f, 0f], 1), ("b", [-1f, 2f, 0f], 3)];

    public static (string, float[], double)[] Round2 => [("a", [0f, -1f, 0.2f], 2), ("b", [0.05f, 0f, 0f], 1), ("c", [0.05f, 0f, 0f], 1)];

    /// <summary>Runs both rounds (slices shuffled by a fixed seed) and returns the model after each.</summary>
    public static (float[] AfterRound1, float[] AfterRound2) Run(IAggregationStrategy strategy)
    {
        var rng = new Random(11);
        var x1 = LinearRounds.Run(strategy, Start, SliceElements, Round1, rng);
        var x2 = LinearRounds.Run(strategy, x1, SliceElements, Round2, rng);
        return (x1, x2);
    }
}
