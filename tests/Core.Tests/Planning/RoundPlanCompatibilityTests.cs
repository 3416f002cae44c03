using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Planning;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Tests.Planning;

/// <summary>RoundStarted messages of publishers from before the round plan: no "settings", the derived keys in strategyParameters.</summary>
public class RoundPlanCompatibilityTests
{
    private static readonly JsonSerializerOptions Wire = new(JsonSerializerDefaults.Web);

    private static RoundStarted Old(string strategy, string parameters, string privacy = """{"enabled":false,"noiseMultiplier":0,"clippingNorm":0,"epsilonBudget":0,"delta":0}""") =>
        JsonSerializer.Deserialize<RoundStarted>($$"""
            {"taskId":"t-1","round":2,"modelVersion":1,"participants":["a","b","c"],"deadline":"2026-12-06T12:00:00+00:00",
             "training":{"localEpochs":1,"batchSize":10,"learningRate":0.1,"proximalMu":0},"privacy":{{privacy}},"sliceElements":4,
             "modelName":"mlp","strategy":"{{strategy}}","strategyParameters":{{{parameters}}},"quorum":0.5,"seed":1,"byzantineShare":0.2}
            """, Wire)!;

    [Fact]
    public void An_old_central_dp_round_deserializes_and_its_keys_become_the_typed_block()
    {
        var old = Old("fedadam", """
            "server-lr":"0.5","dp-noise-multiplier":"1.1","dp-clip":"0.5","dp-expected-clients":"12.5","dp-seed":"7"
            """, """{"enabled":true,"noiseMultiplier":1.1,"clippingNorm":0.5,"epsilonBudget":10,"delta":1e-5}""");

        var settings = RoundPlan.SettingsOf(old);
        var strategy = Assert.IsType<DpFedAvg>(RoundPlan.StrategyOf(old));

        Assert.Null(old.Settings);
        Assert.Equal(new RoundSettings(WholeUpdateNorms: true, CentralDp: new CentralDpSettings(1.1, 0.5, ExpectedClients: 12.5, Seed: 7)), settings);
        Assert.Equal(new Dictionary<string, string> { ["server-lr"] = "0.5" }, RoundPlan.ParametersOf(old));
        Assert.Equal(0.5, Assert.IsType<FedAdam>(strategy.Inner).Eta);
        Assert.Equal(new DpFedAvgOptions(1.1, 0.5) { ExpectedClients = 12.5, Seed = 7 }, strategy.Options);
    }

    [Fact]
    public void An_old_scaffold_round_keeps_its_N_and_aggregates_like_a_new_one()
    {
        var old = Old("scaffold", "\"server-lr\":\"0.5\",\"scaffold-total-clients\":\"4\"");
        var current = old with { StrategyParameters = new() { ["server-lr"] = "0.5" }, Settings = new RoundSettings(TotalClients: 4, ControlVariates: true) };

        Assert.Equal(new RoundSettings(TotalClients: 4, ControlVariates: true), RoundPlan.SettingsOf(old));
        Assert.Equal(Finish(RoundPlan.StrategyOf(current)), Finish(RoundPlan.StrategyOf(old)));
        Assert.Equal(4, Assert.IsType<Scaffold>(RoundPlan.StrategyOf(old)).TotalClients);
    }

    [Fact]
    public void An_old_plain_round_plans_nothing_and_keeps_its_parameters()
    {
        var old = Old("fedavg", "\"max-norm\":\"2\"");

        Assert.Equal(new RoundSettings(WholeUpdateNorms: true), RoundPlan.SettingsOf(old));
        Assert.IsType<NormBounding>(RoundPlan.StrategyOf(old));
        Assert.Same(old.StrategyParameters, RoundPlan.ParametersOf(old with { Settings = RoundSettings.None }));
    }

    [Fact]
    public void A_new_round_started_round_trips_its_settings_through_json()
    {
        var settings = new RoundSettings(0.01, 9, true, true, new CentralDpSettings(1, 2, true, 0.6, 0.1, 3, 4.5, -1));
        var started = Old("fedavg", "") with { Settings = settings };

        var json = JsonSerializer.Serialize(started, Wire);
        var back = JsonSerializer.Deserialize<RoundStarted>(json, Wire)!;

        Assert.Contains("\"settings\":{\"proximalMu\":0.01,\"totalClients\":9", json);
        Assert.Equal(settings, back.Settings);
        Assert.Same(back.Settings, RoundPlan.SettingsOf(back));
    }

    private static float[] Finish(IAggregationStrategy strategy)
    {
        var round = strategy.BeginRound(4, 4);
        round.Fold("a", 0, [1f, 2f, 0.5f, -1f], 1);
        round.Fold("b", 0, [3f, 0f, 1f, 1f], 1);
        var result = new float[4];
        round.Finish([0f, 0f, 0f, 0f], result);
        return result;
    }
}
