using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;

namespace FlMicroservices.Core.Tests.Planning;

public class ModelLayoutTests
{
    private static TaskSpec Spec(string strategy) => new()
    {
        ModelName = "mlp", SampleShape = [4], ClassCount = 2, Rounds = 1, Training = new TrainingConfig(1, 10, 0.1), Strategy = strategy,
    };

    [Fact]
    public void A_task_whose_plan_has_control_variates_stores_weights_then_zeros()
    {
        var layout = ModelLayout.Of(Spec("scaffold"));

        Assert.Same(ModelLayout.WithControlVariates, layout);
        Assert.Equal([1f, 2f, 0f, 0f], layout.InitialModel([1f, 2f]));
        Assert.Equal([1f, 2f], layout.Weights([1f, 2f, 3f, 4f]).ToArray());
        Assert.Equal([3f, 4f], layout.ControlVariates([1f, 2f, 3f, 4f]).ToArray());
        Assert.Equal(10L, layout.StoredLength(5));
        Assert.Equal(long.MaxValue, layout.StoredLength(long.MaxValue / 2 + 1));
        Assert.Throws<ArgumentException>(() => layout.Weights([1f, 2f, 3f]).ToArray());
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("krum")]
    [InlineData("no-such-strategy")]
    public void Other_tasks_store_the_weights_alone(string strategy)
    {
        var layout = ModelLayout.Of(Spec(strategy));
        float[] weights = [1f, 2f, 3f];

        Assert.Same(ModelLayout.Plain, layout);
        Assert.Same(weights, layout.InitialModel(weights));
        Assert.Equal(3, layout.Weights(weights).Length);
        Assert.Equal(3L, layout.StoredLength(3));
        Assert.Throws<InvalidOperationException>(() => layout.ControlVariates(weights).ToArray());
    }

    [Fact]
    public void The_layout_of_a_rounds_settings_follows_its_control_variates_flag()
    {
        Assert.Same(ModelLayout.WithControlVariates, ModelLayout.Of(new RoundSettings(ControlVariates: true)));
        Assert.Same(ModelLayout.Plain, ModelLayout.Of(RoundSettings.None));
    }
}
